//! Unit tests for the template module. Expected outputs are Go `text/template` + sprig v2.22
//! behaviour.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The injected "process environment" of these tests.
fn test_env() -> BTreeMap<String, String> {
    map(&[
        ("HOME", "/home/u"),
        ("USER", "me"),
        ("FROM_ENV", "FOO"),
        ("MY_NAME", "BAR"),
    ])
}

fn test_vars() -> BTreeMap<String, String> {
    merge_env(
        &test_env(),
        &map(&[
            ("IMAGE_REPO", "gcr.io/proj"),
            ("IMAGE_NAME", "app"),
            ("IMAGE_TAG", "v1"),
            ("IMAGE_DIGEST", "sha256:abc"),
            ("N", "41"),
            ("EMPTY", ""),
        ]),
    )
}

fn render_mode(text: &str, missing: MissingKey) -> Result<String, TemplateError> {
    Template::parse(ENV_TEMPLATE_NAME, text)?.render_with_env(&test_vars(), missing, &test_env())
}

/// Renders with the default missing-key behaviour; panics on error.
#[track_caller]
fn r(text: &str) -> String {
    match render_mode(text, MissingKey::Default) {
        Ok(s) => s,
        Err(e) => panic!("{text:?} failed: {e}"),
    }
}

/// The error message of a template expected to fail.
#[track_caller]
fn err(text: &str) -> String {
    match render_mode(text, MissingKey::Default) {
        Ok(s) => panic!("{text:?} should fail, rendered {s:?}"),
        Err(e) => e.to_string(),
    }
}

fn exec_err(context: &str, col: usize, message: &str) -> String {
    format!("template: envTemplate:1:{col}: executing \"envTemplate\" at <{context}>: {message}")
}

// ----- data, missing keys -----

#[test]
fn image_fields() {
    assert_eq!(
        r("{{.IMAGE_REPO}}/{{.IMAGE_NAME}}:{{.IMAGE_TAG}}@{{.IMAGE_DIGEST}}"),
        "gcr.io/proj/app:v1@sha256:abc"
    );
    assert_eq!(r("{{.HOME}}"), "/home/u");
}

#[test]
fn extra_fields_win_over_env() {
    // Skaffold's TestEnvTemplate_ExecuteEnvTemplate "both and custom precedence".
    let extra = map(&[("FOO", "foo"), ("MY_NAME", "from_custom")]);
    let out =
        expand_env_template_with_env("{{.MY_NAME}}-{{.FROM_ENV}}:latest", &test_env(), &extra)
            .unwrap();
    assert_eq!(out, "from_custom-FOO:latest");
    let out = expand_env_template_or_fail_with_env(
        "{{.MY_NAME}}-{{.FROM_ENV}}:latest",
        &test_env(),
        &extra,
    )
    .unwrap();
    assert_eq!(out, "from_custom-FOO:latest");
}

#[test]
fn missing_key_default_prints_no_value() {
    assert_eq!(r("{{.MISSING}}"), "<no value>");
    // Skaffold's "missing results in empty" case.
    assert_eq!(r(r#"{{default "a" .FOO}}:{{.BAR}}"#), "a:<no value>");
    assert_eq!(r("{{.MISSING | default \"x\"}}"), "x");
    assert_eq!(r("{{if .MISSING}}y{{else}}n{{end}}"), "n");
    assert_eq!(r("{{with .MISSING}}y{{else}}n{{end}}"), "n");
    assert_eq!(r("{{print .MISSING}}"), "<nil>");
    assert_eq!(r("{{.EMPTY}}|{{default \"d\" .EMPTY}}"), "|d");
    let out = expand_env_template_with_env("{{.DOES_NOT_EXIST}}", &test_env(), &BTreeMap::new());
    assert_eq!(out.unwrap(), "<no value>");
}

#[test]
fn missing_key_error_names_the_key() {
    let e = render_mode("x{{.DOES_NOT_EXIST}}", MissingKey::Error).unwrap_err();
    assert_eq!(e.missing_key(), Some("DOES_NOT_EXIST"));
    assert_eq!(
        e.to_string(),
        exec_err(
            ".DOES_NOT_EXIST",
            3,
            "map has no entry for key \"DOES_NOT_EXIST\""
        )
    );
    // missingkey=error fails even where `default` would have replaced the value.
    let e = render_mode(r#"{{default "bar" .FOO}}"#, MissingKey::Error).unwrap_err();
    assert_eq!(e.missing_key(), Some("FOO"));
    // Skaffold's TestEnvTemplate_ExpandEnvTemplateOrFail "variable does not exist".
    let e = expand_env_template_or_fail_with_env("{{.DOES_NOT_EXIST}}", &test_env(), &map(&[]))
        .unwrap_err();
    assert!(matches!(e, TemplateError::MissingKey { .. }), "{e:?}");
    // The key is found on later lines too.
    let e = render_mode("a\nb {{$.NOPE}}", MissingKey::Error).unwrap_err();
    assert_eq!(
        e.to_string(),
        "template: envTemplate:2:4: executing \"envTemplate\" at <$.NOPE>: map has no entry for key \"NOPE\""
    );
    // Present keys are fine.
    assert_eq!(
        render_mode("{{.IMAGE_TAG}}", MissingKey::Error).unwrap(),
        "v1"
    );
}

#[test]
fn env_template_tag_policy() {
    let env = map(&[("FOO", "foo")]);
    let t = Template::parse(ENV_TEMPLATE_NAME, "{{.FOO}}-{{.IMAGE_NAME}}").unwrap();
    assert_eq!(env_template_tag(&t, &env, "img").unwrap(), "foo-img");
    // tagPolicy corpus: `{{default "bar" .FOO}}` tags "bar" when FOO is unset.
    let t = Template::parse(ENV_TEMPLATE_NAME, r#"{{default "bar" .FOO}}"#).unwrap();
    assert_eq!(env_template_tag(&t, &map(&[]), "img").unwrap(), "bar");
    let t = Template::parse(ENV_TEMPLATE_NAME, "{{.FOO}}:{{.BAR}}:{{.IMAGE_NAME}}").unwrap();
    let e = env_template_tag(&t, &map(&[]), "img").unwrap_err();
    assert_eq!(
        e,
        TemplateError::NoValue {
            keys: vec!["FOO".into(), "BAR".into()]
        }
    );
    assert_eq!(
        e.to_string(),
        "environment variables missing for template keys: FOO, BAR"
    );
}

#[test]
fn with_nil_is_an_error() {
    // Skaffold's test: `{{with $x := nil}}tag{{end}}` must fail.
    assert!(err("{{with $x := nil}}tag{{end}}").contains("nil is not a command"));
}

// ----- cmd -----

#[test]
fn cmd_runs_a_command() {
    assert_eq!(r(r#"{{cmd "echo" "hi"}}"#), "hi");
    assert_eq!(r(r#"{{cmd "bash" "-c" "echo 1.0.0"}}"#), "1.0.0");
    assert_eq!(r(r#"{{cmd "printf" "  a b \n\n"}}"#), "a b");
    assert_eq!(r(r#"v{{cmd "echo" "-n" .IMAGE_TAG}}"#), "vv1");
}

#[test]
fn cmd_failure() {
    assert_eq!(
        err(r#"{{cmd "false"}}"#),
        exec_err(
            "cmd \"false\"",
            2,
            "error calling cmd: running [false]\n - stdout: \"\"\n - stderr: \"\"\n - cause: exit status 1"
        )
    );
    assert_eq!(
        err(r#"{{cmd "sh" "-c" "echo out; echo err >&2; exit 3"}}"#),
        exec_err(
            "cmd \"sh\" \"-c\" \"echo ...",
            2,
            "error calling cmd: running [sh -c echo out; echo err >&2; exit 3]\n - stdout: \"out\\n\"\n - stderr: \"err\\n\"\n - cause: exit status 3"
        )
    );
    assert!(
        err(r#"{{cmd "skiff-no-such-command-xyz"}}"#).ends_with(
            "error calling cmd: starting command skiff-no-such-command-xyz: exec: \"skiff-no-such-command-xyz\": executable file not found in $PATH"
        )
    );
    assert_eq!(
        err(r#"{{cmd "echo" 1}}"#),
        exec_err(
            "cmd \"echo\" 1",
            2,
            "wrong type for value; expected string; got int"
        )
    );
    assert_eq!(
        err("{{cmd}}"),
        exec_err(
            "cmd",
            2,
            "wrong number of args for cmd: want at least 1 got 0"
        )
    );
}

// ----- control structures -----

#[test]
fn conditionals_ranges_pipelines() {
    assert_eq!(r(r#"{{if eq .IMAGE_TAG "v1"}}yes{{else}}no{{end}}"#), "yes");
    assert_eq!(
        r(r#"{{if eq .IMAGE_TAG "x"}}a{{else if eq .IMAGE_TAG "v1"}}b{{else}}c{{end}}"#),
        "b"
    );
    assert_eq!(
        r(r#"{{range $i, $e := splitList "," "a,b,c"}}{{$i}}={{$e}};{{end}}"#),
        "0=a;1=b;2=c;"
    );
    assert_eq!(
        r(r#"{{range splitList "," ""}}[{{.}}]{{else}}none{{end}}"#),
        "[]"
    );
    assert_eq!(r(r#"{{range list}}x{{else}}none{{end}}"#), "none");
    assert_eq!(r(r#"{{.IMAGE_NAME | upper | printf "%s!"}}"#), "APP!");
    assert_eq!(r(r#"{{$x := "v"}}{{$x = "w"}}{{$x}}"#), "w");
    assert_eq!(r("a  {{- \" b \" -}}  c"), "a b c");
    assert_eq!(r("{{/* comment */}}x"), "x");
    assert_eq!(
        r(r#"{{define "T"}}<{{.}}>{{end}}{{template "T" .IMAGE_TAG}}"#),
        "<v1>"
    );
    assert_eq!(
        r(r#"{{range (list 1 2 3 4)}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}"#),
        "12"
    );
    assert_eq!(r(r#"{{with .IMAGE_TAG}}tag={{.}}{{end}}"#), "tag=v1");
    assert_eq!(
        r(r#"{{range $k, $v := split "/" "a/b"}}{{$k}}:{{$v}} {{end}}"#),
        "_0:a _1:b "
    );
}

#[test]
fn go_builtins() {
    assert_eq!(r(r#"{{len "abc"}}"#), "3");
    assert_eq!(r(r#"{{index "abc" 1}}"#), "98");
    assert_eq!(r(r#"{{printf "%s-%d-%q" "a" 3 "b"}}"#), "a-3-\"b\"");
    assert_eq!(r(r#"{{print "a" 1 2 "b"}}"#), "a1 2b");
    assert_eq!(r(r#"{{println "a"}}"#), "a\n");
    assert_eq!(
        r("{{and 1 0}} {{and 1 2}} {{or 0 \"\"}} {{or \"\" \"x\"}}"),
        "0 2  x"
    );
    assert_eq!(r("{{not true}} {{not .EMPTY}}"), "false true");
    assert_eq!(r(r#"{{eq .IMAGE_TAG "v0" "v1"}} {{ne 1 2}}"#), "true true");
    assert_eq!(
        r("{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 3 2}}"),
        "true true false true"
    );
    assert_eq!(r(r#"{{slice "abcdef" 1 3}}"#), "bc");
    assert_eq!(
        r(r#"{{html "<a href='x'>"}}"#),
        "&lt;a href=&#39;x&#39;&gt;"
    );
    assert_eq!(r(r#"{{urlquery "a b&c"}}"#), "a+b%26c");
    assert_eq!(r(r#"{{js "it's"}}"#), "it\\'s");
    // `index` on the data map: a missing key is the zero value "" (map[string]string).
    assert_eq!(
        r(r#"{{index . "IMAGE_TAG"}}|{{index . "MISSING"}}|"#),
        "v1||"
    );
    assert_eq!(r(r#"{{index (list "a" "b") 1}}"#), "b");
    assert_eq!(
        err(r#"{{index (list "a") 5}}"#),
        exec_err(
            "index (list \"a\") 5",
            2,
            "error calling index: index out of range: 5"
        )
    );
}

// ----- parse errors -----

#[track_caller]
fn parse_err(text: &str) -> TemplateError {
    match Template::parse(ENV_TEMPLATE_NAME, text) {
        Ok(_) => panic!("{text:?} should not parse"),
        Err(e) => e,
    }
}

#[test]
fn parse_errors_name_template_and_position() {
    let e = parse_err("{{.FOO}");
    assert!(
        matches!(&e, TemplateError::Parse { template, line: 1, column: 7, .. } if template == "envTemplate"),
        "{e:?}"
    );
    assert!(
        e.to_string().starts_with("template: envTemplate:1:7: "),
        "{e}"
    );
    assert_eq!(
        parse_err("abc\n  {{nope 1}}").to_string(),
        "template: envTemplate:2:5: function \"nope\" not defined"
    );
    assert_eq!(
        parse_err(r#"{{required "x" .A}}"#).to_string(),
        "template: envTemplate:1:3: function \"required\" not defined"
    );
    assert_eq!(
        parse_err("{{genCA}}").to_string(),
        "template: envTemplate:1:3: function \"genCA\" not defined (sprig function not supported by skiff)"
    );
    assert_eq!(
        parse_err("{{$x}}").to_string(),
        "template: envTemplate:1:3: undefined variable \"$x\""
    );
    assert_eq!(
        parse_err("{{if .A}}{{$y := 1}}{{end}}{{$y}}").to_string(),
        "template: envTemplate:1:30: undefined variable \"$y\""
    );
    assert!(
        parse_err("{{$x = 1}}")
            .to_string()
            .contains("undefined variable \"$x\"")
    );
    assert_eq!(
        parse_err("a{{end}}b").to_string(),
        "template: envTemplate:1:2: unexpected {{end}}"
    );
    assert_eq!(
        parse_err("{{if .A}}x{{end}}\n{{ else }}").to_string(),
        "template: envTemplate:2:1: unexpected {{else}}"
    );
    assert_eq!(
        parse_err("{{if .A}}{{break}}{{end}}").to_string(),
        "template: envTemplate:1:12: {{break}} outside {{range}}"
    );
    assert!(
        parse_err("{{if .A}}")
            .to_string()
            .starts_with("template: envTemplate:")
    );
    assert!(parse_err("{{\"abc}}").to_string().contains("unterminated"));
    assert!(parse_err("{{}}").to_string().contains("empty command"));
    // Strings and comments that contain delimiters or keywords are not structure.
    assert_eq!(r(r#"{{"{{end}}"}}{{/* {{end}} */}}{{`}}`}}"#), "{{end}}}}");
    assert_eq!(r(r#"{{if true}}{{"{{else}}"}}{{end}}"#), "{{else}}");
}

#[test]
fn expand_wraps_parse_errors_like_skaffold() {
    let e = expand_env_template_with_env("{{.FOO}", &test_env(), &map(&[])).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unable to parse template: \"{{.FOO}\": template: envTemplate:1:7: "),
        "{e}"
    );
    let e = expand_env_template_or_fail_with_env("{{nope}}", &test_env(), &map(&[])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unable to parse template: \"{{nope}}\": template: envTemplate:1:3: function \"nope\" not defined"
    );
}

#[test]
fn builtins_only_templates() {
    let t = Template::parse_with(
        CUSTOM_TEMPLATE_NAME,
        "{{.GIT}}-{{.DATE}}",
        Functions::BuiltinsOnly,
    )
    .unwrap();
    let vars = map(&[("GIT", "abc"), ("DATE", "2024")]);
    assert_eq!(t.render(&vars, MissingKey::Error).unwrap(), "abc-2024");
    let e = t
        .render(&map(&[("GIT", "abc")]), MissingKey::Error)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "template: customTemplate:1:11: executing \"customTemplate\" at <.DATE>: map has no entry for key \"DATE\""
    );
    let e = Template::parse_with(
        CUSTOM_TEMPLATE_NAME,
        "{{upper .GIT}}",
        Functions::BuiltinsOnly,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "template: customTemplate:1:3: function \"upper\" not defined"
    );
}

#[test]
fn template_fields_like_skaffold() {
    let t = Template::parse(
        ENV_TEMPLATE_NAME,
        r#"{{.GIT}}-{{.DATE}}{{if .SHA}}{{.SHA}}{{end}}{{.GIT}}{{printf "%s" (.A.B)}}{{$.V}}"#,
    )
    .unwrap();
    assert_eq!(t.fields(), vec!["GIT", "DATE", "SHA", "A", "B"]);
}

#[test]
fn evaluate_map_like_skaffold() {
    let mut args = BTreeMap::new();
    args.insert(
        "A".to_string(),
        Some("{{.IMAGE_TAG}}-{{.USER}}".to_string()),
    );
    args.insert("B".to_string(), None);
    let extra = map(&[("IMAGE_TAG", "v2")]);
    let out = evaluate_env_template_map_with_env(&args, &test_env(), &extra).unwrap();
    assert_eq!(out["A"].as_deref(), Some("v2-me"));
    assert_eq!(out["B"], None);
    args.insert("C".to_string(), Some("{{.X}".to_string()));
    let e = evaluate_env_template_map_with_env(&args, &test_env(), &extra).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unable to get value for key \"C\": unable to parse template: \"{{.X}\""),
        "{e}"
    );
}

// ----- argument checking -----

#[test]
fn argument_errors_read_like_go() {
    assert_eq!(
        err("{{upper 1}}"),
        exec_err(
            "upper 1",
            2,
            "wrong type for value; expected string; got int"
        )
    );
    assert_eq!(
        err("{{upper .MISSING}}"),
        exec_err("upper .MISSING", 2, "invalid value; expected string")
    );
    assert_eq!(
        err(r#"{{upper "a" "b"}}"#),
        exec_err(
            "upper \"a\" \"b\"",
            2,
            "wrong number of args for upper: want 1 got 2"
        )
    );
    assert_eq!(
        err(r#"{{"x" | trunc "1"}}"#),
        exec_err(
            "trunc \"1\"",
            8,
            "wrong type for value; expected int; got string"
        )
    );
    assert_eq!(
        err(r#"{{ternary "a" "b" "x"}}"#),
        exec_err(
            "ternary \"a\" \"b\" \"x\"",
            2,
            "wrong type for value; expected bool; got string"
        )
    );
}

// ----- sprig functions -----

#[test]
fn case_functions() {
    assert_eq!(r(r#"{{upper "hello ß é"}}"#), "HELLO ß É");
    assert_eq!(r(r#"{{lower "HeLLo İ É"}}"#), "hello i é");
    assert_eq!(
        r(r#"{{title "hello world-foo_bar ünï ǆemal"}}"#),
        "Hello World-Foo_bar Ünï ǅemal"
    );
    assert_eq!(r(r#"{{title "aBC dEF"}}"#), "ABC DEF");
    assert_eq!(r(r#"{{untitle "Hello World"}}"#), "hello world");
}

#[test]
fn trim_functions() {
    assert_eq!(r("{{trim \"  a b \\n\\t\"}}"), "a b");
    assert_eq!(r(r#"{{trimAll "$" "$5.00$$"}}"#), "5.00");
    assert_eq!(r(r#"{{trimall "ab" "abcba"}}"#), "c");
    assert_eq!(r(r#"{{trimPrefix "v" "vv1.2"}}"#), "v1.2");
    assert_eq!(r(r#"{{trimSuffix "-dirty" "abc-dirty"}}"#), "abc");
    assert_eq!(r(r#"{{"abc-dirty" | trimSuffix "-dirty"}}"#), "abc");
    assert_eq!(r(r#"{{trimSuffix "x" "abc"}}"#), "abc");
    assert_eq!(r("{{nospace \"a b\\tc\\nd\"}}"), "abcd");
    // goutils works on bytes: with white space present, non-ASCII bytes become Latin-1.
    assert_eq!(r(r#"{{nospace "é "}}"#), "Ã©");
    assert_eq!(r(r#"{{nospace "é"}}"#), "é");
}

#[test]
fn replace_contains_quote() {
    assert_eq!(r(r#"{{replace " " "-" "a b c"}}"#), "a-b-c");
    assert_eq!(r(r#"{{"a.b.c" | replace "." "_"}}"#), "a_b_c");
    assert_eq!(r(r#"{{replace "" "-" "ab"}}"#), "-a-b-");
    assert_eq!(
        r(r#"{{contains "cat" "catch"}} {{contains "dog" "catch"}}"#),
        "true false"
    );
    assert_eq!(
        r(r#"{{hasPrefix "v" .IMAGE_TAG}} {{hasSuffix "1" .IMAGE_TAG}}"#),
        "true true"
    );
    assert_eq!(r(r#"{{quote "a\"b" 1 nil "c"}}"#), r#""a\"b" "1" "c""#);
    assert_eq!(
        r("{{quote \"tab\\there\\u00a0\\x01\"}}"),
        r#""tab\there\u00a0\x01""#
    );
    assert_eq!(r(r#"{{quote .MISSING}}"#), "");
    assert_eq!(r(r#"{{squote "a" 1 true}}"#), "'a' '1' 'true'");
    assert_eq!(r(r#"{{.IMAGE_TAG | quote}}"#), "\"v1\"");
    assert_eq!(r(r#"{{cat "a" 1 nil "b"}}"#), "a 1 b");
    assert_eq!(r(r#"{{indent 2 "a\nb"}}"#), "  a\n  b");
    assert_eq!(r(r#"{{nindent 1 "a"}}"#), "\n a");
    assert_eq!(
        r(r#"{{plural "one" "many" 1}} {{plural "one" "many" 2}}"#),
        "one many"
    );
}

#[test]
fn substr_and_trunc_edge_cases() {
    assert_eq!(r(r#"{{substr 0 5 "hello world"}}"#), "hello");
    assert_eq!(r(r#"{{substr 6 100 "hello world"}}"#), "world");
    assert_eq!(r(r#"{{substr -1 3 "hello"}}"#), "hel");
    assert_eq!(r(r#"{{substr 2 -1 "hello"}}"#), "llo");
    assert_eq!(r(r#"{{substr 5 5 "hello"}}"#), "");
    let slice_err = |t: &str, ctx: &str, m: &str| {
        assert_eq!(
            err(t),
            exec_err(
                ctx,
                2,
                &format!(
                    "error calling {}: runtime error: slice bounds out of range {m}",
                    &ctx[..ctx.find(' ').unwrap()]
                )
            )
        )
    };
    slice_err(
        r#"{{substr 10 20 "hello"}}"#,
        "substr 10 20 \"hello\"",
        "[10:5]",
    );
    slice_err(
        r#"{{substr -1 10 "hello"}}"#,
        "substr -1 10 \"hello\"",
        "[:10] with length 5",
    );
    slice_err(r#"{{substr 3 1 "hello"}}"#, "substr 3 1 \"hello\"", "[3:1]");
    slice_err(
        r#"{{substr -1 -2 "hello"}}"#,
        "substr -1 -2 \"hello\"",
        "[:-2]",
    );

    assert_eq!(r(r#"{{trunc 5 "hello world"}}"#), "hello");
    assert_eq!(r(r#"{{trunc 20 "hi"}}"#), "hi");
    assert_eq!(r(r#"{{trunc 0 "abc"}}"#), "");
    assert_eq!(r(r#"{{.IMAGE_REPO | trunc 3}}"#), "gcr");
    // sprig v2 (Skaffold's) slices s[0:c]: a negative length is a runtime error, not v3's
    // "keep the last c characters".
    slice_err(r#"{{trunc -1 "hello"}}"#, "trunc -1 \"hello\"", "[:-1]");
    // Byte offsets: a cut inside a character leaves an invalid byte (U+FFFD here).
    assert_eq!(r(r#"{{trunc 2 "héllo"}}"#), "h\u{fffd}");
}

#[test]
fn repeat_split_join() {
    assert_eq!(r(r#"{{repeat 3 "ab"}}"#), "ababab");
    assert_eq!(r(r#"{{"x" | repeat 2}}"#), "xx");
    assert_eq!(r(r#"{{repeat 0 "x"}}"#), "");
    assert!(
        err(r#"{{repeat -1 "x"}}"#)
            .ends_with("error calling repeat: strings: negative Repeat count")
    );
    assert!(err(r#"{{repeat 999999999999 "x"}}"#).contains("error calling repeat"));

    assert_eq!(r(r#"{{(split "/" "a/b/c")._1}}"#), "b");
    assert_eq!(r(r#"{{split "/" "a/b"}}"#), "map[_0:a _1:b]");
    assert_eq!(r(r#"{{splitn "/" 2 "a/b/c"}}"#), "map[_0:a _1:b/c]");
    assert_eq!(r(r#"{{splitList "," "a,b"}}"#), "[a b]");
    assert_eq!(r(r#"{{splitList "" "ab"}}"#), "[a b]");
    assert_eq!(r(r#"{{len (splitList "," "")}}"#), "1");
    assert_eq!(r(r#"{{join "," (list "a" "b" 1 nil)}}"#), "a,b,1");
    assert_eq!(r(r#"{{splitList "/" "a/b" | join "-"}}"#), "a-b");
    assert_eq!(r(r#"{{join "," "abc"}}"#), "abc");
    assert_eq!(r(r#"{{join "," .MISSING}}"#), "");
    assert_eq!(r(r#"{{toStrings (list 1 "a")}}"#), "[1 a]");
}

#[test]
fn env_functions_read_the_injected_environment() {
    assert_eq!(
        r(r#"{{env "HOME"}}|{{env "NOPE"}}|{{env "IMAGE_TAG"}}"#),
        "/home/u||"
    );
    assert_eq!(
        r(r#"{{expandenv "$HOME/x ${USER} $$ $1 ${} $"}}"#),
        "/home/u/x me    $"
    );
    assert_eq!(r(r#"{{expandenv "${HOME"}}"#), "HOME");
}

#[test]
fn encodings_and_hashes() {
    assert_eq!(r(r#"{{b64enc "hello"}}"#), "aGVsbG8=");
    assert_eq!(r(r#"{{b64enc ""}}|{{b64enc "ab"}}"#), "|YWI=");
    assert_eq!(r(r#"{{b64dec "aGVsbG8="}}"#), "hello");
    assert_eq!(r("{{b64dec \"aGVs\\nbG8=\"}}"), "hello");
    assert_eq!(r(r#"{{b64enc "skiff" | b64dec}}"#), "skiff");
    assert_eq!(
        r(r#"{{b64dec "aGVsbG8"}}"#),
        "illegal base64 data at input byte 4"
    );
    assert_eq!(
        r(r#"{{b64dec "a!=="}}"#),
        "illegal base64 data at input byte 1"
    );
    assert_eq!(
        r(r#"{{b64dec "ab="}}"#),
        "illegal base64 data at input byte 3"
    );
    assert_eq!(
        r(r#"{{b64dec "abc=x"}}"#),
        "illegal base64 data at input byte 4"
    );
    assert_eq!(
        r(r#"{{sha256sum "hello"}}"#),
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
}

#[test]
fn defaults_and_flow() {
    assert_eq!(r(r#"{{default "foo" ""}}"#), "foo");
    assert_eq!(r(r#"{{default "foo" "bar"}}"#), "bar");
    assert_eq!(r(r#"{{"bar" | default "foo"}}"#), "bar");
    assert_eq!(
        r(r#"{{default "foo" 0}} {{default "foo" false}} {{default "foo"}}"#),
        "foo foo foo"
    );
    assert_eq!(
        r(r#"{{empty ""}} {{empty .MISSING}} {{empty "x"}} {{empty 0}} {{empty (list)}}"#),
        "true true false true true"
    );
    assert_eq!(r(r#"{{coalesce "" .MISSING "c" "d"}}"#), "c");
    assert_eq!(r(r#"{{coalesce "" 0}}"#), "<no value>");
    assert_eq!(
        r(r#"{{ternary "a" "b" true}} {{ternary "a" "b" (eq 1 2)}}"#),
        "a b"
    );
    assert_eq!(
        r(r#"{{toString 42}} {{toString .MISSING}} {{toString (list 1 2)}}"#),
        "42 <nil> [1 2]"
    );
    assert_eq!(
        err(r#"{{fail "boom"}}"#),
        exec_err("fail \"boom\"", 2, "error calling fail: boom")
    );
}

#[test]
fn regular_expressions() {
    assert_eq!(
        r(r#"{{regexMatch "^v[0-9]+$" "v12"}} {{regexMatch "(" "x"}}"#),
        "true false"
    );
    assert_eq!(
        r(r#"{{regexReplaceAll "[^a-z0-9]" "Foo_Bar.1" "-"}}"#),
        "-oo--ar-1"
    );
    // Go's Expand syntax: `$1W` names group "1W" (empty); `${1}W` is group 1.
    assert_eq!(
        r(r#"{{regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W"}}"#),
        "-W-xxW-"
    );
    assert_eq!(
        r(r#"{{regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W"}}"#),
        "---"
    );
    assert_eq!(
        r(r#"{{regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}"}}"#),
        "-${1}-${1}-"
    );
    assert_eq!(r(r#"{{regexFind "[0-9]+" "abc123def456"}}"#), "123");
    assert_eq!(
        r(r#"{{regexFindAll "[0-9]" "a1b2c3" 2}} {{regexFindAll "[0-9]" "a1b2c3" -1}}"#),
        "[1 2] [1 2 3]"
    );
    assert_eq!(r(r#"{{regexSplit "z+" "pizza" -1}}"#), "[pi a]");
    assert_eq!(r(r#"{{regexSplit "z+" "pizza" 0}}"#), "[]");
    assert_eq!(r(r#"{{regexSplit "z+" "pizza" 1}}"#), "[pizza]");
    // Go's \d, \w, \s and \b are ASCII-only.
    assert_eq!(r(r##"{{regexReplaceAll "\\d" "a1٣" "#"}}"##), "a#٣");
    assert_eq!(r(r##"{{regexReplaceAll "[\\w]+" "ab_1é" "#"}}"##), "#é");
    assert_eq!(r(r#"{{regexReplaceAll "\\bé" "é" "x"}}"#), "é");
    let e = err(r#"{{regexReplaceAll "(" "x" "y"}}"#);
    assert!(
        e.contains("error calling regexReplaceAll: regexp: Compile(`(`): error parsing regexp: "),
        "{e}"
    );
}

#[test]
fn lists() {
    assert_eq!(r(r#"{{list 1 "a" true}}"#), "[1 a true]");
    assert_eq!(r(r#"{{first (list 1 2 3)}} {{last (list 1 2 3)}}"#), "1 3");
    assert_eq!(
        r(r#"{{rest (list 1 2 3)}} {{initial (list 1 2 3)}}"#),
        "[2 3] [1 2]"
    );
    assert_eq!(r(r#"{{first (list)}}"#), "<no value>");
    assert_eq!(r(r#"{{splitList "/" .IMAGE_REPO | last}}"#), "proj");
    assert_eq!(
        err(r#"{{first "abc"}}"#),
        exec_err(
            "first \"abc\"",
            2,
            "error calling first: Cannot find first on type string"
        )
    );
}

#[test]
fn numbers_and_paths() {
    assert_eq!(
        r(r#"{{add 1 2 "3"}} {{sub 5 7}} {{mul 2 3 4}} {{div 7 2}} {{mod 7 2}}"#),
        "6 -2 24 3 1"
    );
    assert_eq!(r("{{max 1 5 3}} {{min 4 2 9}} {{biggest 1 2}}"), "5 2 2");
    assert_eq!(
        r(r#"{{atoi "42"}} {{atoi "x"}} {{int "12"}} {{int64 3.9}} {{add1 .N}}"#),
        "42 0 12 3 42"
    );
    assert_eq!(
        err("{{div 1 0}}"),
        exec_err(
            "div 1 0",
            2,
            "error calling div: runtime error: integer divide by zero"
        )
    );
    assert_eq!(
        r(r#"{{base "/a/b.txt"}} {{dir "/a/b.txt"}} {{ext "/a/b.txt"}}"#),
        "b.txt /a .txt"
    );
    assert_eq!(
        r(r#"{{clean "a/../b//c/."}} {{clean "/../x"}} {{clean ""}} {{clean "../a/.."}}"#),
        "b/c /x . .."
    );
    assert_eq!(
        r(r#"{{base ""}} {{base "/"}} {{base "a/"}} {{dir "a"}} {{isAbs "/x"}}"#),
        ". / a . true"
    );
}

#[test]
fn dates() {
    assert_eq!(
        r(r#"{{dateInZone "2006-01-02T15:04:05Z07:00" 1700000000 "UTC"}}"#),
        "2023-11-14T22:13:20Z"
    );
    assert_eq!(
        r(r#"{{date_in_zone "Mon Jan _2 3:04PM MST 06 .000 .999" 1700000000 "UTC"}}"#),
        "Tue Nov 14 10:13PM UTC 23 .000 "
    );
    assert_eq!(r(r#"{{htmlDateInZone 0 "UTC"}}"#), "1970-01-01");
    // Out-of-range instants saturate instead of failing.
    assert_eq!(
        r(r#"{{dateInZone "2006" 9223372036854775807 "UTC"}}"#),
        "9999"
    );
    assert_eq!(
        r(r#"{{dateInZone "2006" -9223372036854775807 "Nowhere/Zone"}}"#),
        "-9999"
    );
    if gotime::load_location("Europe/Paris").is_some() {
        assert_eq!(
            r(r#"{{dateInZone "2006-01-02 15:04 MST -07:00" 1700000000 "Europe/Paris"}}"#),
            "2023-11-14 23:13 CET +01:00"
        );
    }
    // `now` round-trips through `date`; `unixEpoch` reads it back.
    let year = jiff::Zoned::now().year().to_string();
    let got = r(r#"{{now | date "2006"}}"#);
    assert!(got == year || got.parse::<i32>().is_ok(), "{got}");
    let epoch: i64 = r("{{now | unixEpoch}}").parse().unwrap();
    assert!((epoch - jiff::Timestamp::now().as_second()).abs() < 60);
    let now = r("{{now}}");
    assert!(gotime::parse_time_string(&now).is_some(), "{now}");
}

#[test]
fn go_time_layouts() {
    use jiff::tz::{Offset, TimeZone};
    let t = jiff::Timestamp::from_second(1_700_000_000)
        .unwrap()
        .checked_add(jiff::SignedDuration::from_nanos(120_450_000))
        .unwrap();
    let utc = TimeZone::UTC;
    let f = |layout: &str| gotime::format(t, &utc, layout);
    assert_eq!(
        f("2006-01-02_15-04-05.999_MST"),
        "2023-11-14_22-13-20.12_UTC"
    );
    assert_eq!(f(".000000 ,9 .9"), ".120450 ,1 .1");
    assert_eq!(
        f("January Monday Jan Mon 1 01 2 _2 02 002 __2"),
        "November Tuesday Nov Tue 11 11 14 14 14 318 318"
    );
    assert_eq!(
        f("3 03 4 04 5 05 PM pm 06 2006"),
        "10 10 13 13 20 20 PM pm 23 2023"
    );
    assert_eq!(f("Z07:00 Z0700 -0700 -07:00 -07"), "Z Z +0000 +00:00 +00");
    assert_eq!(f("Janet Monica _2006"), "Janet Monica _2023");
    let minus = TimeZone::fixed(Offset::from_seconds(-(5 * 3600 + 30 * 60 + 15)).unwrap());
    assert_eq!(
        gotime::format(t, &minus, "15:04 Z07:00 -0700 -07 Z070000 -07:00:00"),
        "16:43 -05:30 -0530 -05 -053015 -05:30:15"
    );
    assert_eq!(
        gotime::time_string(t, &utc),
        "2023-11-14 22:13:20.12045 +0000 UTC"
    );
    let minus_minutes = TimeZone::fixed(Offset::from_seconds(-(5 * 3600 + 30 * 60)).unwrap());
    assert_eq!(
        gotime::parse_time_string(&gotime::time_string(t, &minus_minutes)),
        Some(t)
    );
}

// ----- the corpus -----

/// Every template in `../shared/reference/skaffold-configs` (grep "{{"), with the values the
/// integration tests give them.
#[test]
fn corpus_templates_parse_and_render() {
    let vars = merge_env(
        &test_vars(),
        &map(&[
            ("ENV1", "ns1"),
            ("TEST_NS", "test-ns"),
            ("STOP_FAILING_TIME", "10"),
            (
                "IMAGE_REPO_skaffold_helm",
                "gcr.io/k8s-skaffold/skaffold-helm",
            ),
            ("IMAGE_TAG_skaffold_helm", "latest"),
            ("FOO", "foo-val"),
            ("AAA", "aaa"),
            ("GOPROXY", "https://proxy.golang.org"),
            ("MESSAGE", "hello"),
        ]),
    );
    let cases: &[(&str, &str)] = &[
        ("{{.ENV1}}", "ns1"),
        ("skaffold-helm-{{.TEST_NS}}", "skaffold-helm-test-ns"),
        ("{{.STOP_FAILING_TIME}}", "10"),
        ("{{.IMAGE_TAG}}", "v1"),
        ("{{.IMAGE_REPO}}", "gcr.io/proj"),
        ("{{.IMAGE_NAME}}", "app"),
        (
            "{{.IMAGE_REPO_skaffold_helm}}",
            "gcr.io/k8s-skaffold/skaffold-helm",
        ),
        ("{{.IMAGE_TAG_skaffold_helm}}", "latest"),
        (r#"{{cmd "bash" "-c" "echo 1.0.0"}}"#, "1.0.0"),
        (r#"{{default "bar" .FOO}}"#, "foo-val"),
        ("{{.FOO}}", "foo-val"),
        ("{{.AAA}}", "aaa"),
        ("first={{.AAA}}", "first=aaa"),
        ("{{.AAA}}/test-values.yaml", "aaa/test-values.yaml"),
        ("GOPROXY={{.GOPROXY}}", "GOPROXY=https://proxy.golang.org"),
        ("{{.MESSAGE}}", "hello"),
    ];
    for (text, want) in cases {
        let t = Template::parse(ENV_TEMPLATE_NAME, text).unwrap();
        assert_eq!(&t.render(&vars, MissingKey::Error).unwrap(), want, "{text}");
        assert_eq!(
            &t.render(&vars, MissingKey::Default).unwrap(),
            want,
            "{text}"
        );
    }
    // Unset variables (diagnose/not-all-envs-set): default mode prints <no value>, OrFail errors.
    let empty = BTreeMap::new();
    assert_eq!(
        expand_env_template_with_env("{{.AAA}}/test-values.yaml", &empty, &empty).unwrap(),
        "<no value>/test-values.yaml"
    );
    assert_eq!(
        expand_env_template_or_fail_with_env("{{.AAA}}/test-values.yaml", &empty, &empty)
            .unwrap_err()
            .missing_key(),
        Some("AAA")
    );
    assert_eq!(
        expand_env_template_with_env(r#"{{default "bar" .FOO}}"#, &empty, &empty).unwrap(),
        "bar"
    );
}

#[test]
fn process_environment_variants() {
    // The non-`_with_env` entry points read the real environment; PATH is always set here.
    let path = std::env::var("PATH").unwrap_or_default();
    assert_eq!(
        expand_env_template("{{.PATH}}", &BTreeMap::new()).unwrap(),
        path
    );
    assert_eq!(
        expand_env_template(r#"{{env "PATH"}}"#, &BTreeMap::new()).unwrap(),
        path
    );
    assert_eq!(
        expand_env_template_or_fail("{{.PATH}}-{{.X}}", &map(&[("X", "x")])).unwrap(),
        format!("{path}-x")
    );
    assert!(process_env().contains_key("PATH"));
}

#[test]
fn templates_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    assert_send_sync::<TemplateError>();
}

// ----- robustness -----

fn template_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{".to_string()),
        Just("}}".to_string()),
        Just("{{- ".to_string()),
        Just(" -}}".to_string()),
        Just(".".to_string()),
        Just(".IMAGE_TAG".to_string()),
        Just(".MISSING".to_string()),
        Just("$".to_string()),
        Just("$x".to_string()),
        Just(":=".to_string()),
        Just("=".to_string()),
        Just("|".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("\"".to_string()),
        Just("`".to_string()),
        Just("'".to_string()),
        Just("/*".to_string()),
        Just("*/".to_string()),
        Just("nil".to_string()),
        Just("-1".to_string()),
        Just("3".to_string()),
        Just("99999999999".to_string()),
        Just("\"a/b\"".to_string()),
        Just("\"é\"".to_string()),
        prop::sample::select(vec![
            "if",
            "else",
            "end",
            "range",
            "with",
            "define",
            "template",
            "block",
            "break",
            "continue",
            "default",
            "upper",
            "title",
            "substr",
            "trunc",
            "repeat",
            "split",
            "splitList",
            "join",
            "list",
            "first",
            "last",
            "rest",
            "index",
            "slice",
            "len",
            "printf",
            "print",
            "eq",
            "lt",
            "and",
            "or",
            "not",
            "quote",
            "b64dec",
            "b64enc",
            "regexReplaceAll",
            "regexSplit",
            "regexFindAll",
            "date",
            "now",
            "nospace",
            "expandenv",
            "env",
            "div",
            "mod",
            "coalesce",
            "ternary",
            "indent",
            "replace",
            "toString",
            "empty",
            "dir",
            "clean",
            "unixEpoch",
            "sha256sum",
        ])
        .prop_map(str::to_string),
    ]
}

fn check_no_panic(text: &str) {
    funcs::FUNC_PANICKED.with(|c| c.set(false));
    check_no_panic_inner(text);
    assert!(
        !funcs::FUNC_PANICKED.with(|c| c.get()),
        "a template function panicked on {text:?}"
    );
}

fn check_no_panic_inner(text: &str) {
    if let Ok(t) = Template::parse(ENV_TEMPLATE_NAME, text) {
        // Never run arbitrary commands.
        if !text.contains("cmd") {
            let _ = t.render_with_env(&test_vars(), MissingKey::Default, &test_env());
            let _ = t.render_with_env(&test_vars(), MissingKey::Error, &test_env());
            let _ = t.fields();
        }
    }
    let _ = Template::parse_with(CUSTOM_TEMPLATE_NAME, text, Functions::BuiltinsOnly);
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check_no_panic(&text);
    }

    #[test]
    fn template_like_text_never_panics(tokens in prop::collection::vec(template_token(), 0..40)) {
        check_no_panic(&tokens.concat());
    }

    #[test]
    fn well_formed_actions_never_panic(
        inner in prop::collection::vec(template_token(), 0..12),
        prefix in "[a-z {}]{0,5}",
    ) {
        check_no_panic(&format!("{prefix}{{{{{}}}}}", inner.join(" ")));
    }
}

fn arb_value() -> impl Strategy<Value = gotmpl::Value> {
    use gotmpl::Value;
    let leaf = prop_oneof![
        any::<String>().prop_map(|s| Value::String(s.into())),
        "[a-z/.,=${}0-9 -]{0,12}".prop_map(|s| Value::String(s.into())),
        any::<i64>().prop_map(Value::Int),
        (-20i64..20).prop_map(Value::Int),
        any::<u64>().prop_map(Value::Uint),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Nil),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(|v| Value::List(v.into()))
    })
}

proptest! {
    /// Every function (but `cmd`) called directly with arbitrary arguments returns a value or an
    /// error, never panics.
    #[test]
    fn functions_never_panic_on_arbitrary_arguments(
        args in prop::collection::vec(arb_value(), 0..5),
    ) {
        for (name, f) in funcs::skaffold_funcs() {
            if name == "cmd" {
                continue;
            }
            funcs::FUNC_PANICKED.with(|c| c.set(false));
            let _ = f(&args);
            prop_assert!(
                !funcs::FUNC_PANICKED.with(|c| c.get()),
                "{} panicked on {:?}", name, args
            );
        }
    }
}
