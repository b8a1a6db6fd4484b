//! Shell-word expansion as BuildKit's lexer does it (cases modelled on its envVarTest table).

use std::collections::BTreeMap;

use skiff_build::dockerfile::shell::{Lexer, NoEnv};

fn env() -> BTreeMap<String, String> {
    [
        ("PWD", "/home"),
        ("SHELL", "bash"),
        ("KOREAN", "한국어"),
        ("NULL", ""),
        ("FILE", "app.tar.gz"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// (input, expected; `None` = error), escape token `\`.
const WORDS: &[(&str, Option<&str>)] = &[
    ("hello", Some("hello")),
    ("he'll'o", Some("hello")),
    ("he'llo", None),
    ("he\\'llo", Some("he'llo")),
    ("he\\\\'llo", None),
    ("abc\\tdef", Some("abctdef")),
    ("\"abc\\tdef\"", Some("abc\\tdef")),
    ("\"abc\\\\tdef\"", Some("abc\\tdef")),
    ("'abc\\tdef'", Some("abc\\tdef")),
    ("hello\\", Some("hello")),
    ("hello\\\\", Some("hello\\")),
    ("\"hello", None),
    ("\"hello\\\"", None),
    ("\"hel'lo\"", Some("hel'lo")),
    ("'hello", None),
    ("'hello\\'", Some("hello\\")),
    ("\"''\"", Some("''")),
    ("$.", Some("$.")),
    ("he$1x", Some("hex")),
    ("he$.x", Some("he$.x")),
    ("he$pwd.", Some("he.")),
    ("he$PWD", Some("he/home")),
    ("he\\$PWD", Some("he$PWD")),
    ("he\\\\$PWD", Some("he\\/home")),
    ("\"he\\$PWD\"", Some("he$PWD")),
    ("\\${}", Some("${}")),
    ("${}", None),
    ("he${}xx", None),
    ("he${hi}xx", Some("hexx")),
    ("he${PWD}", Some("he/home")),
    ("he${.}", None),
    ("he${XXX:-000}xx", Some("he000xx")),
    ("he${PWD:-000}xx", Some("he/homexx")),
    ("he${XXX:-$PWD}xx", Some("he/homexx")),
    ("he${XXX:-${PWD:-yyy}}xx", Some("he/homexx")),
    ("he${XXX:-${YYY:-yyy}}xx", Some("heyyyxx")),
    ("he${XXX:YYY}", None),
    ("he${XXX?}", None),
    ("he${XXX:?}", None),
    ("he${PWD?}", Some("he/home")),
    ("he${NULL?}", Some("he")),
    ("he${NULL:?}", None),
    ("he${NULL-x}", Some("he")),
    ("he${NULL:-x}", Some("hex")),
    ("he${NULL+x}", Some("hex")),
    ("he${NULL:+x}", Some("he")),
    ("he${XXX:+${PWD}}xx", Some("hexx")),
    ("he${PWD:+${SHELL}}xx", Some("hebashxx")),
    ("he${PWD:+000}xx", Some("he000xx")),
    ("'he${XX}'", Some("he${XX}")),
    ("\"he${PWD}\"", Some("he/home")),
    ("\"he'$PWD'\"", Some("he'/home'")),
    ("'$PWD'", Some("$PWD")),
    ("he${PWD", None),
    ("he${PWD:=000}xx", None),
    ("he${PWD:+${PWD}:}xx", Some("he/home:xx")),
    ("he${XXX:-\\$PWD:}xx", Some("he$PWD:xx")),
    ("he${XXX:-\\${PWD}z}xx", Some("he${PWDz}xx")),
    ("안녕$KOREAN", Some("안녕한국어")),
    ("${aaa}}", Some("}")),
    ("${aaa:-bbb {foo}", Some("bbb {foo")),
    ("${:}", None),
    ("${1:-bbb}", Some("bbb")),
    ("$999aaa", Some("aaa")),
    ("$@aaa", Some("aaa")),
    ("${FILE%.*}", Some("app.tar")),
    ("${FILE%%.*}", Some("app")),
    ("${FILE#*.}", Some("tar.gz")),
    ("${FILE##*.}", Some("gz")),
    ("${FILE/a/A}", Some("App.tar.gz")),
    ("${FILE//a/A}", Some("App.tAr.gz")),
    ("${FILE:%x}", None),
    ("a b  c", Some("a b  c")),
];

#[test]
fn process_word_table() {
    let lex = Lexer::new('\\');
    let env = env();
    for (input, want) in WORDS {
        let got = lex.process_word(input, &env);
        match want {
            Some(w) => assert_eq!(got.as_deref(), Ok(*w), "{input:?}"),
            None => assert!(got.is_err(), "{input:?} should fail, got {got:?}"),
        }
    }
}

#[test]
fn backtick_escape() {
    let lex = Lexer::new('`');
    let env = env();
    assert_eq!(
        lex.process_word("C:\\dir\\$SHELL", &env).unwrap(),
        "C:\\dir\\bash"
    );
    assert_eq!(lex.process_word("a`$SHELL", &env).unwrap(), "a$SHELL");
    assert_eq!(lex.process_word("\"a`\"b\"", &env).unwrap(), "a\"b");
}

#[test]
fn process_words_splits_after_expansion() {
    let lex = Lexer::new('\\');
    let env: BTreeMap<String, String> =
        [("V".to_string(), "x y".to_string())].into_iter().collect();
    assert_eq!(
        lex.process_words("a $V 'b c'", &env).unwrap(),
        ["a", "x", "y", "b c"]
    );
    assert_eq!(lex.process_words("\"$V\"z", &env).unwrap(), ["x yz"]);
    assert_eq!(
        lex.process_words("<<  EOF next", &NoEnv).unwrap(),
        ["<<  EOF", "next"]
    );
}

#[test]
fn mandatory_variable_messages() {
    let lex = Lexer::new('\\');
    let env: BTreeMap<String, String> = [
        ("VAR".to_string(), String::new()),
        ("ARG".to_string(), "x".to_string()),
    ]
    .into_iter()
    .collect();
    let err = lex
        .process_word("${VAR:?message here$ARG}", &env)
        .unwrap_err();
    assert!(err.message.contains("VAR: message herex"), "{err}");
    assert_eq!(lex.process_word("${VAR?message}", &env).unwrap(), "");
    let err = lex.process_word("${NOPE?}", &env).unwrap_err();
    assert!(
        err.message.contains("NOPE: is not allowed to be unset"),
        "{err}"
    );
}

#[test]
fn skip_unset_keeps_references() {
    let mut lex = Lexer::new('\\');
    lex.skip_unset_env = true;
    assert_eq!(
        lex.process_word("$A ${B} ${C:-d}", &NoEnv).unwrap(),
        "$A ${B} ${C:-d}"
    );
}
