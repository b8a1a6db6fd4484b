//! Parser and instruction-model tables. Expected ASTs use BuildKit's `Node.Dump` notation.

use skiff_build::dockerfile::instructions::{ArgDef, Copy, Dockerfile, From, InstructionKind};
use skiff_build::dockerfile::parser::{self, ParseError};

fn dump(src: &str) -> Vec<String> {
    parser::parse(src)
        .unwrap_or_else(|e| panic!("{src:?}: {e}"))
        .nodes
        .iter()
        .map(|n| n.dump())
        .collect()
}

/// (Dockerfile, expected dump of every instruction)
const AST: &[(&str, &[&str])] = &[
    ("FROM alpine\n", &[r#"(from "alpine")"#]),
    (
        "from Alpine AS Build\n",
        &[r#"(from "Alpine" "AS" "Build")"#],
    ),
    (
        "FROM --platform=$BUILDPLATFORM golang:1.22 as b\n",
        &[r#"(from ["--platform=$BUILDPLATFORM"] "golang:1.22" "as" "b")"#],
    ),
    // COPY/ADD: whitespace lists, flags (quotes/escapes removed from flags), `--` ends flags.
    ("COPY a b /dst/\n", &[r#"(copy "a" "b" "/dst/")"#]),
    (
        "copy --from=build --chown=1:1 --chmod=644 --link a /b\n",
        &[r#"(copy ["--from=build" "--chown=1:1" "--chmod=644" "--link"] "a" "/b")"#],
    ),
    (
        "COPY --parents --exclude=*.md --exclude='x y' ./s/./t /d\n",
        &[r#"(copy ["--parents" "--exclude=*.md" "--exclude=x y"] "./s/./t" "/d")"#],
    ),
    (
        "COPY --link -- --weird /d\n",
        &[r#"(copy ["--link"] "--weird" "/d")"#],
    ),
    ("ADD [\"a b\", \"/c d/\"]\n", &[r#"(add "a b" "/c d/")"#]),
    (
        "COPY [\"a\" , \"b\"] extra\n",
        &[r#"(copy "[\"a\"" "," "\"b\"]" "extra")"#],
    ),
    // Exec form vs shell form.
    ("RUN [\"echo\", \"hi\"]\n", &[r#"(run "echo" "hi")"#]),
    (
        "RUN echo \"hi\"  there\n",
        &[r#"(run "echo \"hi\"  there")"#],
    ),
    ("CMD []\n", &["(cmd)"]),
    ("ENTRYPOINT [\"a\",\n", &[r#"(entrypoint "[\"a\",")"#]),
    // ENV and LABEL: key, value, separator triples; legacy form keeps the rest of the line.
    (
        "ENV A=1 B=\"two words\" C=x\\ y\n",
        &[r#"(env "A" "1" "=" "B" "\"two words\"" "=" "C" "x\\ y" "=")"#],
    ),
    (
        "ENV NAME some value here\n",
        &[r#"(env "NAME" "some value here" "")"#],
    ),
    (
        "LABEL a=b \"c d\"=e\n",
        &[r#"(label "a" "b" "=" "\"c d\"" "e" "=")"#],
    ),
    // ARG keeps words (quotes included) for later splitting.
    ("ARG A B=1 C=\"x y\"\n", &[r#"(arg "A" "B=1" "C=\"x y\"")"#]),
    // Line continuations, comments and empty lines inside them.
    (
        "RUN a \\\n  b \\\n# comment\n  c\n",
        &[r#"(run "a   b   c")"#],
    ),
    ("RUN a \\\n\n  b\n", &[r#"(run "a   b")"#]),
    (
        "RUN a \\\\\nCMD b\n",
        &[r#"(run "a \\\\")"#, r#"(cmd "b")"#],
    ),
    ("  # leading comment\n\tRUN x\r\n", &[r#"(run "x")"#]),
    // The escape directive changes the continuation character.
    (
        "# escape=`\nFROM w\nRUN dir c:\\ `\n  /s\n",
        &[r#"(from "w")"#, r#"(run "dir c:\\   /s")"#],
    ),
    // ONBUILD holds a sub-instruction; WORKDIR/USER keep their text.
    ("ONBUILD COPY . /app\n", &[r#"(onbuild (copy "." "/app"))"#]),
    ("onbuild run echo 1\n", &[r#"(onbuild (run "echo 1"))"#]),
    ("WORKDIR /a b\n", &[r#"(workdir "/a b")"#]),
    (
        "HEALTHCHECK --interval=5s CMD [\"curl\", \"x\"]\n",
        &[r#"(healthcheck ["--interval=5s"] "CMD" "curl" "x")"#],
    ),
    ("EXPOSE 80 443/tcp\n", &[r#"(expose "80" "443/tcp")"#]),
    ("BOGUS x y\n", &[r#"(bogus "")"#]),
];

#[test]
fn ast_table() {
    for (src, want) in AST {
        assert_eq!(dump(src), *want, "{src:?}");
    }
}

#[test]
fn line_numbers_cover_continuations_and_heredocs() {
    let src = "# escape=\\\n\nFROM a\n\nRUN x \\\n  y\n\nCOPY <<EOF /f\nbody\nEOF\nCMD z\n";
    let r = parser::parse(src).unwrap();
    let lines: Vec<(usize, usize)> = r.nodes.iter().map(|n| (n.start_line, n.end_line)).collect();
    assert_eq!(lines, [(3, 3), (5, 6), (8, 10), (11, 11)]);
}

#[test]
fn directives() {
    let r = parser::parse("# syntax=docker/dockerfile:1\n#escape=`\n# check=skip=all\nFROM a\n")
        .unwrap();
    assert_eq!(r.escape, '`');
    assert_eq!(r.syntax(), Some("docker/dockerfile:1"));
    let names: Vec<&str> = r.directives.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["syntax", "escape", "check"]);

    // A directive after a comment, a blank line or an instruction is a plain comment.
    for src in [
        "# hello\n# escape=`\nFROM a\n",
        "\n# escape=`\nFROM a\n",
        "FROM a\n# escape=`\n",
    ] {
        assert_eq!(parser::parse(src).unwrap().escape, '\\', "{src:?}");
    }
    // BOM before the directive.
    assert_eq!(
        parser::parse("\u{feff}# escape=`\nFROM a\n")
            .unwrap()
            .escape,
        '`'
    );
}

fn parse_err(src: &str) -> ParseError {
    Dockerfile::parse(src).expect_err(src)
}

/// (Dockerfile, line, message)
const ERRORS: &[(&str, usize, &str)] = &[
    ("", 1, "file with no instructions"),
    ("# just a comment\n\n", 2, "file with no instructions"),
    (
        "# escape=x\nFROM a\n",
        1,
        "invalid escape token 'x' does not match ` or \\",
    ),
    (
        "# escape=`\n# escape=`\nFROM a\n",
        2,
        "only one escape parser directive can be used",
    ),
    ("FROM a\nENV X\n", 2, "ENV must have two arguments"),
    (
        "FROM a\nENV A=1 B\n",
        2,
        "Syntax error - can't find = in \"B\". Must be of the form: name=value",
    ),
    (
        "FROM a\nCMD [\"a\", 1]\n",
        2,
        "when using JSON array syntax, arrays must be comprised of strings only",
    ),
    ("FROM a\nRUN <<EOF\nnever ends\n", 2, "unterminated heredoc"),
    ("FROM a\n\nFOO bar\n", 3, "unknown instruction: FOO"),
    ("FROM\n", 1, "FROM requires either one or three arguments"),
    (
        "FROM a b\n",
        1,
        "FROM requires either one or three arguments",
    ),
    (
        "FROM a AS 1st\n",
        1,
        "invalid name for build stage: \"1st\", name can't start with a number or contain symbols",
    ),
    ("COPY a b\n", 1, "no build stage in current context"),
    (
        "FROM a\nCOPY a\n",
        2,
        "COPY requires at least two arguments, but only one was provided. Destination could not be determined",
    ),
    ("FROM a\nADD --from=x a b\n", 2, "unknown flag: --from"),
    (
        "FROM a\nCOPY --chown a b\n",
        2,
        "missing a value on flag: --chown",
    ),
    (
        "FROM a\nCOPY --link=maybe a b\n",
        2,
        "expecting boolean value for flag --link, not: maybe",
    ),
    (
        "FROM a\nCOPY --from=a --from=b a b\n",
        2,
        "duplicate flag specified: --from",
    ),
    (
        "FROM a\nCOPY a <<EOF\nx\nEOF\n",
        2,
        "COPY cannot accept a heredoc as a destination",
    ),
    (
        "FROM a\nWORKDIR\n",
        2,
        "WORKDIR requires exactly one argument",
    ),
    ("FROM a\nARG =x\n", 2, "ARG names can not be blank"),
    (
        "FROM a\nONBUILD ONBUILD RUN x\n",
        2,
        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
    ),
    (
        "FROM a\nONBUILD FROM b\n",
        2,
        "FROM isn't allowed as an ONBUILD trigger",
    ),
    (
        "FROM a\nRUN --mount=type=cache,target=/c --network=none --frobnicate x\n",
        2,
        "unknown flag: --frobnicate",
    ),
];

#[test]
fn error_table() {
    for (src, line, msg) in ERRORS {
        let e = parse_err(src);
        assert_eq!((e.line, e.message.as_str()), (*line, *msg), "{src:?}");
        assert_eq!(
            e.to_string(),
            format!("dockerfile parse error on line {line}: {msg}")
        );
    }
}

#[test]
fn syntax_directive_tolerates_unknown_instructions_and_flags() {
    let df =
        Dockerfile::parse("# syntax=docker/dockerfile:1-labs\nFROM a\nFOO x\nCOPY --frob=1 a b\n")
            .unwrap();
    assert_eq!(df.syntax(), Some("docker/dockerfile:1-labs"));
    assert!(
        matches!(&df.instructions[1].kind, InstructionKind::Other { keyword, .. } if keyword == "foo")
    );
    assert!(matches!(&df.instructions[2].kind, InstructionKind::Copy(c) if c.sources == ["a"]));
}

#[test]
fn heredocs() {
    let src = "FROM a\n\
RUN <<EOF\nline1\n  line2\nEOF\n\
COPY <<one <<\"two\" /dest/\nfirst\none\nsecond $X\ntwo\n\
RUN <<-TABS\n\tindented\n\tTABS\n\
RUN 3<<FD cat\nx\nFD\n\
RUN [\"<<NOT\"]\n\
RUN \"<<NOPE\"\n\
ONBUILD COPY <<EOF /x\ny\nEOF\n";
    let r = parser::parse(src).unwrap();
    type Doc = (String, bool, bool, u32, String);
    let docs: Vec<Vec<Doc>> = r
        .nodes
        .iter()
        .map(|n| {
            n.heredocs
                .iter()
                .map(|h| {
                    (
                        h.name.clone(),
                        h.expand,
                        h.chomp,
                        h.file_descriptor,
                        h.content.clone(),
                    )
                })
                .collect()
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(docs[0], []);
    assert_eq!(docs[1], [(s("EOF"), true, false, 0, s("line1\n  line2\n"))]);
    assert_eq!(
        docs[2],
        [
            (s("one"), true, false, 0, s("first\n")),
            (s("two"), false, false, 0, s("second $X\n"))
        ]
    );
    assert_eq!(docs[3], [(s("TABS"), true, true, 0, s("\tindented\n"))]);
    assert_eq!(docs[4], [(s("FD"), true, false, 3, s("x\n"))]);
    assert_eq!(docs[5], []);
    assert_eq!(docs[6], []);
    assert_eq!(docs[7], [(s("EOF"), true, false, 0, s("y\n"))]);

    // The typed COPY keeps the heredoc markers as sources; `<<-` bodies are chomped.
    let df = Dockerfile::parse("FROM a\nCOPY <<-F /f\n\t\tbody\nF\n").unwrap();
    let InstructionKind::Copy(c) = &df.instructions[1].kind else {
        panic!()
    };
    assert_eq!(c.sources, ["<<-F"]);
    assert!(c.is_heredoc_source("<<-F"));
    assert_eq!(c.heredocs[0].content, "body\n");
}

#[test]
fn instruction_model() {
    let src = "\
ARG BASE=alpine
ARG VERSION
FROM --platform=linux/amd64 ${BASE}:3 AS Builder
ENV PATH=/x:$PATH HOME=/root
ENV LEGACY a value
WORKDIR /src
ARG TARGET=app
COPY --from=builder --chown=1:2 --chmod=755 --link --parents --exclude=a --exclude=b x y /z/
ADD --checksum=sha256:abc --keep-git-dir=false --unpack https://e.com/a.tgz /opt/
ONBUILD COPY . /app
FROM builder
";
    let df = Dockerfile::parse(src).unwrap();
    let meta: Vec<&ArgDef> = df.meta_args().collect();
    assert_eq!(
        meta,
        [
            &ArgDef {
                name: "BASE".into(),
                default: Some("alpine".into())
            },
            &ArgDef {
                name: "VERSION".into(),
                default: None
            }
        ]
    );
    let kinds: Vec<&InstructionKind> = df.instructions.iter().map(|i| &i.kind).collect();
    assert_eq!(
        kinds[2],
        &InstructionKind::From(From {
            image: "${BASE}:3".into(),
            name: Some("builder".into()),
            platform: Some("linux/amd64".into())
        })
    );
    assert_eq!(
        kinds[3],
        &InstructionKind::Env(vec![
            ("PATH".into(), "/x:$PATH".into()),
            ("HOME".into(), "/root".into())
        ])
    );
    assert_eq!(
        kinds[4],
        &InstructionKind::Env(vec![("LEGACY".into(), "a value".into())])
    );
    assert_eq!(kinds[5], &InstructionKind::Workdir("/src".into()));
    let InstructionKind::Copy(copy) = kinds[7] else {
        panic!("{:?}", kinds[7])
    };
    assert_eq!(
        copy,
        &Copy {
            add: false,
            sources: vec!["x".into(), "y".into()],
            dest: "/z/".into(),
            from: Some("builder".into()),
            chown: Some("1:2".into()),
            chmod: Some("755".into()),
            link: true,
            parents: true,
            excludes: vec!["a".into(), "b".into()],
            raw_flags: copy.raw_flags.clone(),
            ..Copy::default()
        }
    );
    let InstructionKind::Copy(add) = kinds[8] else {
        panic!()
    };
    assert!(add.add);
    assert_eq!(add.checksum.as_deref(), Some("sha256:abc"));
    assert_eq!(add.keep_git_dir, Some(false));
    assert_eq!(add.unpack, Some(true));
    let InstructionKind::Onbuild(trigger) = kinds[9] else {
        panic!()
    };
    assert!(matches!(&trigger.kind, InstructionKind::Copy(c) if c.dest == "/app"));
    assert_eq!(df.instructions[7].line, 8);
}
