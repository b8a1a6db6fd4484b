//! Parse-time checks that Go's `text/template` parser performs and `gotmpl` defers or skips, plus
//! AST helpers (field listing, error locations, Go-style node printing).

use std::collections::BTreeSet;

use gotmpl::parse::{CommandNode, Expr, ListNode, Node, Number, PipeNode, Pos, SmolStr};

use super::{Functions, Template, TemplateError, funcs, gofmt};

/// Go's builtin function names (`text/template/funcs.go`).
pub(super) const GO_BUILTINS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

pub(super) fn check(tpl: &Template, functions: Functions) -> Result<(), TemplateError> {
    check_structure(tpl)?;
    let mut known: BTreeSet<&str> = GO_BUILTINS.iter().copied().collect();
    if functions == Functions::Skaffold {
        known.extend(funcs::skaffold_funcs().keys().map(String::as_str));
    }
    let mut errors = Vec::new();
    for tree in tpl.trees() {
        let mut w = Walker {
            known: &known,
            scopes: vec![vec![SmolStr::new_static("$")]],
            errors: &mut errors,
        };
        w.list(tree, false);
    }
    match errors.into_iter().min_by_key(|(pos, _)| pos.offset) {
        None => Ok(()),
        Some((pos, message)) => Err(parse_error_at(tpl, pos.offset, message)),
    }
}

fn parse_error_at(tpl: &Template, offset: usize, message: String) -> TemplateError {
    let text = tpl.text();
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = 1 + before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    TemplateError::Parse {
        template: tpl.name().to_string(),
        line,
        column,
        message,
    }
}

struct Walker<'a> {
    known: &'a BTreeSet<&'a str>,
    scopes: Vec<Vec<SmolStr>>,
    errors: &'a mut Vec<(Pos, String)>,
}

impl Walker<'_> {
    fn defined(&self, name: &str) -> bool {
        self.scopes
            .iter()
            .any(|s| s.iter().any(|v| v.as_str() == name))
    }

    fn list(&mut self, list: &ListNode, in_range: bool) {
        for node in &list.nodes {
            match node {
                Node::Text(_) | Node::Define(_) => {}
                Node::Action(a) => self.pipe(&a.pipe),
                Node::If(b) | Node::With(b) | Node::Range(b) => {
                    let is_range = matches!(node, Node::Range(_));
                    self.scopes.push(Vec::new());
                    self.pipe(&b.pipe);
                    self.list(&b.body, in_range || is_range);
                    if let Some(e) = &b.else_body {
                        self.list(e, in_range);
                    }
                    self.scopes.pop();
                }
                Node::Template(t) => {
                    if let Some(p) = &t.pipe {
                        self.pipe(p);
                    }
                }
                Node::List(l) => self.list(l, in_range),
                Node::Break(pos) if !in_range => self
                    .errors
                    .push((*pos, "{{break}} outside {{range}}".to_string())),
                Node::Continue(pos) if !in_range => self
                    .errors
                    .push((*pos, "{{continue}} outside {{range}}".to_string())),
                Node::Break(_) | Node::Continue(_) => {}
            }
        }
    }

    fn pipe(&mut self, p: &PipeNode) {
        if p.is_assign {
            for d in &p.decl {
                if !self.defined(d) {
                    self.errors
                        .push((p.pos, format!("undefined variable {}", gofmt::quote(d))));
                }
            }
        } else if let Some(top) = self.scopes.last_mut() {
            top.extend(p.decl.iter().cloned());
        }
        for c in &p.commands {
            for a in &c.args {
                self.expr(a);
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Identifier(pos, name) => {
                if !self.known.contains(name.as_str()) {
                    let hint = if funcs::UNSUPPORTED_SPRIG.contains(&name.as_str()) {
                        " (sprig function not supported by skiff)"
                    } else {
                        ""
                    };
                    self.errors.push((
                        *pos,
                        format!("function {} not defined{hint}", gofmt::quote(name)),
                    ));
                }
            }
            Expr::Variable(pos, name, _) => {
                if !self.defined(name) {
                    self.errors
                        .push((*pos, format!("undefined variable {}", gofmt::quote(name))));
                }
            }
            Expr::Pipe(_, p) => self.pipe(p),
            Expr::Chain(_, inner, _) => self.expr(inner),
            Expr::Dot(_)
            | Expr::Field(..)
            | Expr::String(..)
            | Expr::Number(..)
            | Expr::Bool(..)
            | Expr::Nil(_) => {}
        }
    }
}

/// Go rejects `{{end}}`/`{{else}}` that close nothing; gotmpl silently stops parsing there.
/// gotmpl has already lexed the text successfully, so actions are well formed here.
fn check_structure(tpl: &Template) -> Result<(), TemplateError> {
    let text = tpl.text();
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(found) = text.get(i..).and_then(|s| s.find("{{")) {
        let start = i + found;
        let mut j = start + 2;
        if b.get(j) == Some(&b'-') && b.get(j + 1).is_some_and(|c| is_space(*c)) {
            j += 1;
        }
        while b.get(j).is_some_and(|c| is_space(*c)) {
            j += 1;
        }
        if text[j..].starts_with("/*") {
            let Some(close) = text[j + 2..].find("*/") else {
                return Ok(());
            };
            let after = j + 2 + close + 2;
            i = match text[after..].find("}}") {
                Some(k) => after + k + 2,
                None => return Ok(()),
            };
            continue;
        }
        let word_end = j + b[j..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
            .unwrap_or(b.len() - j);
        let word = &text[j..word_end];
        // Find the closing delimiter, skipping quoted strings and character constants.
        let mut k = j;
        let mut end = None;
        while k < b.len() {
            match b[k] {
                b'"' | b'\'' => {
                    let q = b[k];
                    k += 1;
                    while k < b.len() && b[k] != q {
                        if b[k] == b'\\' {
                            k += 1;
                        }
                        k += 1;
                    }
                    k += 1;
                }
                b'`' => {
                    k += 1;
                    while k < b.len() && b[k] != b'`' {
                        k += 1;
                    }
                    k += 1;
                }
                b'}' if b.get(k + 1) == Some(&b'}') => {
                    end = Some(k + 2);
                    break;
                }
                _ => k += 1,
            }
        }
        let Some(end) = end else { return Ok(()) };
        match word {
            "if" | "range" | "with" | "define" | "block" => depth += 1,
            "end" if depth == 0 => {
                return Err(parse_error_at(tpl, start, "unexpected {{end}}".to_string()));
            }
            "end" => depth -= 1,
            "else" if depth == 0 => {
                return Err(parse_error_at(
                    tpl,
                    start,
                    "unexpected {{else}}".to_string(),
                ));
            }
            _ => {}
        }
        i = end;
    }
    if depth > 0 {
        return Err(parse_error_at(
            tpl,
            text.len(),
            "unexpected EOF".to_string(),
        ));
    }
    Ok(())
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Skaffold's `GetTemplateFields`: the identifiers of every field node (`{{.A.B}}` gives `A`,
/// `B`) of the main template, first appearance first, without duplicates.
pub fn template_fields(tpl: &Template) -> Vec<String> {
    fn list(l: &ListNode, out: &mut Vec<String>) {
        for n in &l.nodes {
            match n {
                Node::Action(a) => pipe(&a.pipe, out),
                Node::Template(t) => {
                    if let Some(p) = &t.pipe {
                        pipe(p, out);
                    }
                }
                Node::If(b) | Node::Range(b) | Node::With(b) => {
                    pipe(&b.pipe, out);
                    list(&b.body, out);
                    if let Some(e) = &b.else_body {
                        list(e, out);
                    }
                }
                Node::List(l) => list(l, out),
                _ => {}
            }
        }
    }
    fn pipe(p: &PipeNode, out: &mut Vec<String>) {
        for c in &p.commands {
            for a in &c.args {
                match a {
                    Expr::Field(_, idents) => out.extend(idents.iter().map(|s| s.to_string())),
                    Expr::Pipe(_, p) => pipe(p, out),
                    _ => {}
                }
            }
        }
    }
    let mut out = Vec::new();
    if let Some(root) = tpl.inner.lookup(tpl.name()) {
        list(root, &mut out);
    }
    let mut seen = BTreeSet::new();
    out.retain(|f| seen.insert(f.clone()));
    out
}

/// Visits every command of the trees, in no particular order.
fn visit_commands<'t>(trees: &[&'t ListNode], f: &mut dyn FnMut(&'t CommandNode)) {
    fn list<'t>(l: &'t ListNode, f: &mut dyn FnMut(&'t CommandNode)) {
        for n in &l.nodes {
            match n {
                Node::Action(a) => pipe(&a.pipe, f),
                Node::Template(t) => {
                    if let Some(p) = &t.pipe {
                        pipe(p, f);
                    }
                }
                Node::If(b) | Node::Range(b) | Node::With(b) => {
                    pipe(&b.pipe, f);
                    list(&b.body, f);
                    if let Some(e) = &b.else_body {
                        list(e, f);
                    }
                }
                Node::List(l) => list(l, f),
                _ => {}
            }
        }
    }
    fn pipe<'t>(p: &'t PipeNode, f: &mut dyn FnMut(&'t CommandNode)) {
        for c in &p.commands {
            f(c);
            for a in &c.args {
                expr(a, f);
            }
        }
    }
    fn expr<'t>(e: &'t Expr, f: &mut dyn FnMut(&'t CommandNode)) {
        match e {
            Expr::Pipe(_, p) => pipe(p, f),
            Expr::Chain(_, inner, _) => expr(inner, f),
            _ => {}
        }
    }
    for t in trees {
        list(t, f);
    }
}

/// The first reference to the data key `key` (`.KEY...` or `$.KEY...`): its position and Go's
/// printed form of the node.
pub(super) fn find_field(trees: &[&ListNode], key: &str) -> Option<(Pos, String)> {
    let mut best: Option<(Pos, String)> = None;
    visit_commands(trees, &mut |c| {
        for a in &c.args {
            let hit = match a {
                Expr::Field(pos, idents) if idents.first().is_some_and(|i| i == key) => Some(*pos),
                Expr::Variable(pos, name, idents)
                    if name == "$" && idents.first().is_some_and(|i| i == key) =>
                {
                    Some(*pos)
                }
                _ => None,
            };
            if let Some(pos) = hit
                && best.as_ref().is_none_or(|(b, _)| pos.offset < b.offset)
            {
                best = Some((pos, expr_string(a)));
            }
        }
    });
    best
}

/// The first call of function `name`: the command's position and Go's printed form of it (or of
/// the bare identifier when the function is called as an argument).
pub(super) fn find_call(trees: &[&ListNode], name: &str) -> Option<(Pos, String)> {
    let mut best: Option<(Pos, String)> = None;
    let is_fn = |e: &Expr| match e {
        Expr::Identifier(_, n) => n == name,
        Expr::Chain(_, inner, _) => matches!(inner.as_ref(), Expr::Identifier(_, n) if n == name),
        _ => false,
    };
    visit_commands(trees, &mut |c| {
        let mut consider = |pos: Pos, s: String| {
            if best.as_ref().is_none_or(|(b, _)| pos.offset < b.offset) {
                best = Some((pos, s));
            }
        };
        if c.args.first().is_some_and(is_fn) {
            consider(c.pos, command_string(c));
        }
        for a in c.args.iter().skip(1) {
            if is_fn(a) {
                consider(a.pos(), expr_string(a));
            }
        }
    });
    best
}

pub(super) fn command_string(c: &CommandNode) -> String {
    c.args.iter().map(expr_string).collect::<Vec<_>>().join(" ")
}

fn pipe_string(p: &PipeNode) -> String {
    let mut s = String::new();
    if !p.decl.is_empty() {
        s.push_str(
            &p.decl
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        s.push_str(if p.is_assign { " = " } else { " := " });
    }
    s.push_str(
        &p.commands
            .iter()
            .map(command_string)
            .collect::<Vec<_>>()
            .join(" | "),
    );
    s
}

/// Go's `Node.String()` for an expression.
pub(super) fn expr_string(e: &Expr) -> String {
    let fields = |f: &[SmolStr]| f.iter().map(|x| format!(".{x}")).collect::<String>();
    match e {
        Expr::Dot(_) => ".".to_string(),
        Expr::Field(_, f) => fields(f),
        Expr::Variable(_, name, f) => format!("{name}{}", fields(f)),
        Expr::Identifier(_, name) => name.to_string(),
        Expr::String(_, s) => gofmt::quote(s),
        Expr::Number(_, Number::Int(i)) => i.to_string(),
        Expr::Number(_, Number::Uint(u)) => u.to_string(),
        Expr::Number(_, Number::Float(f)) => f.to_string(),
        Expr::Bool(_, b) => b.to_string(),
        Expr::Nil(_) => "nil".to_string(),
        Expr::Pipe(_, p) => format!("({})", pipe_string(p)),
        Expr::Chain(_, inner, f) => format!("{}{}", expr_string(inner), fields(f)),
    }
}
