//! The syntax: a deterministic recursive-descent parser for DynamoDB's expression grammar.
//!
//! ```text
//! condition  := condition AND condition | condition OR condition     (AND binds tighter)
//!             | NOT condition                                        (binds tightest)
//!             | operand comparator operand
//!             | operand BETWEEN operand AND operand
//!             | operand IN '(' operand (',' operand)* ')'
//!             | function
//!             | '(' condition ')'
//! update     := ( SET set_action (',' set_action)*
//!               | REMOVE path (',' path)*
//!               | ADD path :value (',' path :value)*
//!               | DELETE path :value (',' path :value)* )+
//! set_action := path '=' set_value
//! set_value  := operand | arithmetic
//! arithmetic := operand ('+' | '-') operand | '(' arithmetic ')'
//! projection := path (',' path)*
//! operand    := path | :value | function | '(' operand ')'
//! function   := ID '(' operand (',' operand)* ')'
//! path       := (ID | #name) ('.' (ID | #name | :value) | '[' INDEX ']')*
//! ```
//!
//! A `(` where both a parenthesized condition and a parenthesized operand may start is
//! resolved by parsing what is inside first and deciding afterwards, so the parser never
//! backtracks and always reports the first token that cannot continue a valid prefix, as
//! DynamoDB does. Doubled parentheses around the same thing are rejected as redundant at the
//! point they close, as DynamoDB does. Nesting is bounded (see [`MAX_NESTING`]).

use super::ast::*;
use super::error::Problem;
use super::lexer::{lex, Tok, Token};

/// Deepest nesting of parentheses and function calls accepted. A non-redundant level needs
/// at least one operator, and DynamoDB allows at most 300 operators, so nothing valid nests
/// deeper; the bound keeps recursion (and stack use) small on hostile input.
pub(crate) const MAX_NESTING: usize = 300;
/// DynamoDB's limit on operators and functions in one expression.
pub(crate) const MAX_OPERATORS: u32 = 300;

/// A parsed primary: either a condition or an operand (only decidable from what follows),
/// with whether it is wrapped in its own parentheses. Boxed, like the errors, to keep the
/// frames of the recursive functions small.
enum Prim {
    Cond(Box<RawCond>, bool),
    Opnd(Box<RawOperand>, bool),
}

type PResult<T> = Result<T, Box<Problem>>;

pub(crate) struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    pub fn new(src: &'s str) -> Parser<'s> {
        Parser {
            src,
            toks: lex(src),
            pos: 0,
            depth: 0,
        }
    }

    fn peek(&self) -> Tok {
        self.toks.get(self.pos).map_or(Tok::Eof, |t| t.kind)
    }

    fn peek_at(&self, ahead: usize) -> Tok {
        self.toks.get(self.pos + ahead).map_or(Tok::Eof, |t| t.kind)
    }

    fn text_of(&self, t: Option<&Token>) -> &'s str {
        t.and_then(|t| self.src.get(t.start..t.end)).unwrap_or("")
    }

    fn cur_text(&self) -> String {
        self.text_of(self.toks.get(self.pos)).to_string()
    }

    fn advance(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    /// A syntax error at the current token: `token` is its text (`<EOF>` at the end), `near`
    /// the source from the previous token to the next one, whitespace included.
    fn error(&self) -> Box<Problem> {
        let idx = self.pos.min(self.toks.len().saturating_sub(1));
        let len = self.src.len();
        let Some(cur) = self.toks.get(idx) else {
            return Box::new(Problem::Syntax {
                token: "<EOF>".into(),
                near: String::new(),
            });
        };
        let is_eof = cur.kind == Tok::Eof;
        let token = if is_eof {
            "<EOF>".to_string()
        } else {
            self.text_of(Some(cur)).to_string()
        };
        let left = match idx.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(prev) => prev.start,
            None => 0,
        };
        let right = if is_eof {
            len
        } else {
            match self.toks.get(idx + 1) {
                Some(next) if next.kind != Tok::Eof => next.end,
                _ => len,
            }
        };
        let near = self.src.get(left..right).unwrap_or("").to_string();
        Box::new(Problem::Syntax { token, near })
    }

    fn expect(&mut self, kind: Tok) -> PResult<()> {
        if self.peek() == kind {
            self.advance();
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn expect_eof(&self) -> PResult<()> {
        if self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// Enters one level of parentheses or function call.
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            // Only redundant parentheses or more than 300 operators nest this deep.
            let doubled = self.peek() == Tok::LParen && self.peek_at(1) == Tok::LParen;
            return Err(Box::new(if doubled {
                Problem::RedundantParentheses
            } else {
                Problem::TooManyOperators(MAX_OPERATORS + 1)
            }));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---------------------------------------------------------------- conditions

    fn condition_top(&mut self) -> PResult<Box<RawCond>> {
        let first = self.unary()?;
        let first = self.require_cond(first)?;
        let c = self.or_rest(first)?;
        self.expect_eof()?;
        Ok(c)
    }

    /// The rest of an OR/AND chain whose first primary has been parsed.
    #[allow(clippy::boxed_local)] // boxed on purpose: this frame is on the recursive path
    fn or_rest(&mut self, first: Box<RawCond>) -> PResult<Box<RawCond>> {
        let mut ors: Vec<RawCond> = Vec::new();
        let mut ands: Vec<RawCond> = vec![*first];
        loop {
            match self.peek() {
                Tok::And => {
                    self.advance();
                    let p = self.unary()?;
                    ands.push(*self.require_cond(p)?);
                }
                Tok::Or => {
                    self.advance();
                    ors.push(make_and(std::mem::take(&mut ands)));
                    let p = self.unary()?;
                    ands.push(*self.require_cond(p)?);
                }
                _ => break,
            }
        }
        if ors.is_empty() {
            return Ok(Box::new(make_and(ands)));
        }
        ors.push(make_and(ands));
        Ok(Box::new(RawCond::Or(ors)))
    }

    fn require_cond(&self, p: Prim) -> PResult<Box<RawCond>> {
        match p {
            Prim::Cond(c, _) => Ok(c),
            Prim::Opnd(o, _) => match *o {
                RawOperand::Func(f) => Ok(Box::new(RawCond::Func(f))),
                _ => Err(self.error()),
            },
        }
    }

    fn unary(&mut self) -> PResult<Prim> {
        let mut nots = 0u32;
        while self.peek() == Tok::Not {
            nots = nots.saturating_add(1);
            self.advance();
        }
        let p = self.primary()?;
        if nots == 0 {
            return Ok(p);
        }
        let c = self.require_cond(p)?;
        Ok(Prim::Cond(Box::new(RawCond::Not(nots, c)), false))
    }

    fn primary(&mut self) -> PResult<Prim> {
        if self.peek() != Tok::LParen {
            let o = self.operand()?;
            return self.after_operand(o, false);
        }
        self.enter()?;
        self.advance();
        let inner = self.paren_body()?;
        self.expect(Tok::RParen)?;
        self.leave();
        match inner {
            Prim::Cond(_, true) | Prim::Opnd(_, true) => {
                Err(Box::new(Problem::RedundantParentheses))
            }
            Prim::Cond(c, false) => Ok(Prim::Cond(c, true)),
            Prim::Opnd(o, false) => self.after_operand(o, true),
        }
    }

    /// What is inside a `(` at the start of a condition: a condition or an operand.
    fn paren_body(&mut self) -> PResult<Prim> {
        let first = self.unary()?;
        match self.peek() {
            Tok::And | Tok::Or => {
                let c = self.require_cond(first)?;
                Ok(Prim::Cond(self.or_rest(c)?, false))
            }
            _ => Ok(first),
        }
    }

    /// After an operand: a comparison, BETWEEN or IN makes it a condition; otherwise it stays
    /// an operand.
    #[inline(never)]
    fn after_operand(&mut self, o: Box<RawOperand>, outer: bool) -> PResult<Prim> {
        let op = match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::Between => {
                self.advance();
                let lo = self.operand_full()?.0;
                self.expect(Tok::And)?;
                let hi = self.operand_full()?.0;
                return Ok(Prim::Cond(Box::new(RawCond::Between(*o, *lo, *hi)), false));
            }
            Tok::In => {
                self.advance();
                self.expect(Tok::LParen)?;
                let mut list = vec![*self.operand_full()?.0];
                while self.peek() == Tok::Comma {
                    self.advance();
                    list.push(*self.operand_full()?.0);
                }
                self.expect(Tok::RParen)?;
                return Ok(Prim::Cond(Box::new(RawCond::In(*o, list)), false));
            }
            _ => return Ok(Prim::Opnd(o, outer)),
        };
        self.advance();
        let r = self.operand_full()?.0;
        Ok(Prim::Cond(Box::new(RawCond::Cmp(op, *o, *r)), false))
    }

    // ---------------------------------------------------------------- operands and paths

    /// An operand, possibly parenthesized; also says whether it carries its own parentheses.
    fn operand_full(&mut self) -> PResult<(Box<RawOperand>, bool)> {
        if self.peek() != Tok::LParen {
            return Ok((self.operand()?, false));
        }
        self.enter()?;
        self.advance();
        let (o, outer) = self.operand_full()?;
        self.expect(Tok::RParen)?;
        self.leave();
        if outer {
            return Err(Box::new(Problem::RedundantParentheses));
        }
        Ok((o, true))
    }

    /// An operand that does not start with `(`.
    fn operand(&mut self) -> PResult<Box<RawOperand>> {
        match self.peek() {
            Tok::Id if self.peek_at(1) == Tok::LParen => self.function(),
            Tok::Id | Tok::NameSub => Ok(Box::new(RawOperand::Path(self.path()?))),
            Tok::ValueSub => {
                let v = self.cur_text();
                self.advance();
                Ok(Box::new(RawOperand::Value(v)))
            }
            _ => Err(self.error()),
        }
    }

    fn function(&mut self) -> PResult<Box<RawOperand>> {
        let name = self.cur_text();
        self.advance(); // the name
        self.expect(Tok::LParen)?;
        self.enter()?;
        let mut args = vec![*self.operand_full()?.0];
        while self.peek() == Tok::Comma {
            self.advance();
            args.push(*self.operand_full()?.0);
        }
        self.expect(Tok::RParen)?;
        self.leave();
        Ok(Box::new(RawOperand::Func(RawFunc { name, args })))
    }

    fn path(&mut self) -> PResult<RawPath> {
        let mut elems = Vec::new();
        match self.peek() {
            Tok::Id => elems.push(RawElem::Id(self.cur_text())),
            Tok::NameSub => elems.push(RawElem::Name(self.cur_text())),
            _ => return Err(self.error()),
        }
        self.advance();
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.advance();
                    let e = match self.peek() {
                        Tok::Id => RawElem::Id(self.cur_text()),
                        Tok::NameSub => RawElem::Name(self.cur_text()),
                        Tok::ValueSub => RawElem::ValueRef(self.cur_text()),
                        _ => return Err(self.error()),
                    };
                    self.advance();
                    elems.push(e);
                }
                Tok::LBracket => {
                    self.advance();
                    if self.peek() != Tok::Index {
                        return Err(self.error());
                    }
                    let digits = self.cur_text();
                    self.advance();
                    self.expect(Tok::RBracket)?;
                    let value = digits.parse::<u32>().ok().filter(|v| *v <= i32::MAX as u32);
                    elems.push(RawElem::Index(RawIndex {
                        text: format!("[{digits}]"),
                        value,
                    }));
                }
                _ => break,
            }
        }
        Ok(RawPath { elems })
    }

    // ---------------------------------------------------------------- update

    fn update_top(&mut self) -> PResult<Vec<RawSection>> {
        let mut sections = Vec::new();
        loop {
            let kind = match self.peek() {
                Tok::Set => SectionKind::Set,
                Tok::Remove => SectionKind::Remove,
                Tok::Add => SectionKind::Add,
                Tok::Delete => SectionKind::Delete,
                Tok::Eof if !sections.is_empty() => break,
                _ => return Err(self.error()),
            };
            self.advance();
            let mut actions = vec![self.action(kind)?];
            while self.peek() == Tok::Comma {
                self.advance();
                actions.push(self.action(kind)?);
            }
            sections.push(RawSection { kind, actions });
        }
        Ok(sections)
    }

    fn action(&mut self, kind: SectionKind) -> PResult<RawAction> {
        let path = self.path()?;
        match kind {
            SectionKind::Set => {
                self.expect(Tok::Eq)?;
                let (v, _, _) = self.set_value()?;
                Ok(RawAction::Set(path, *v))
            }
            SectionKind::Remove => Ok(RawAction::Remove(path)),
            SectionKind::Add | SectionKind::Delete => {
                if self.peek() != Tok::ValueSub {
                    return Err(self.error());
                }
                let v = self.cur_text();
                self.advance();
                Ok(if kind == SectionKind::Add {
                    RawAction::Add(path, v)
                } else {
                    RawAction::Delete(path, v)
                })
            }
        }
    }

    /// A SET value: (value, has its own parentheses, is arithmetic).
    fn set_value(&mut self) -> PResult<(Box<RawOperand>, bool, bool)> {
        if self.peek() != Tok::LParen {
            let o = self.operand()?;
            return self.after_value_operand(o, false);
        }
        self.enter()?;
        self.advance();
        let (inner, inner_outer, inner_arith) = self.set_value()?;
        self.expect(Tok::RParen)?;
        self.leave();
        if inner_outer {
            return Err(Box::new(Problem::RedundantParentheses));
        }
        if inner_arith {
            // '(' arithmetic ')': nothing may follow.
            return Ok((inner, true, true));
        }
        self.after_value_operand(inner, true)
    }

    #[inline(never)]
    fn after_value_operand(
        &mut self,
        o: Box<RawOperand>,
        outer: bool,
    ) -> PResult<(Box<RawOperand>, bool, bool)> {
        let op = match self.peek() {
            Tok::Plus => ArithOp::Plus,
            Tok::Minus => ArithOp::Minus,
            _ => return Ok((o, outer, false)),
        };
        self.advance();
        let (r, _) = self.operand_full()?;
        Ok((Box::new(RawOperand::Arith(op, o, r)), false, true))
    }

    // ---------------------------------------------------------------- projection

    fn projection_top(&mut self) -> PResult<Vec<RawPath>> {
        let mut paths = vec![self.path()?];
        while self.peek() == Tok::Comma {
            self.advance();
            paths.push(self.path()?);
        }
        self.expect_eof()?;
        Ok(paths)
    }
}

fn make_and(mut v: Vec<RawCond>) -> RawCond {
    if v.len() == 1 {
        if let Some(c) = v.pop() {
            return c;
        }
    }
    RawCond::And(v)
}

pub(crate) fn parse_condition(src: &str) -> Result<RawCond, Problem> {
    Parser::new(src).condition_top().map(|c| *c).map_err(|e| *e)
}

pub(crate) fn parse_update(src: &str) -> Result<Vec<RawSection>, Problem> {
    Parser::new(src).update_top().map_err(|e| *e)
}

pub(crate) fn parse_projection(src: &str) -> Result<Vec<RawPath>, Problem> {
    Parser::new(src).projection_top().map_err(|e| *e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(token: &str, near: &str) -> Problem {
        Problem::Syntax {
            token: token.into(),
            near: near.into(),
        }
    }

    fn cond_err(s: &str) -> Problem {
        parse_condition(s).expect_err(s)
    }

    /// A compact rendering of the raw tree to check structure and precedence.
    fn show(c: &RawCond) -> String {
        fn op(o: &RawOperand) -> String {
            match o {
                RawOperand::Path(p) => p
                    .elems
                    .iter()
                    .map(|e| match e {
                        RawElem::Id(s) | RawElem::Name(s) | RawElem::ValueRef(s) => s.clone(),
                        RawElem::Index(ix) => ix.text.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("."),
                RawOperand::Value(v) => v.clone(),
                RawOperand::Func(f) => format!(
                    "{}({})",
                    f.name,
                    f.args.iter().map(op).collect::<Vec<_>>().join(",")
                ),
                RawOperand::Arith(a, l, r) => format!("({}{}{})", op(l), a.symbol(), op(r)),
            }
        }
        match c {
            RawCond::Cmp(o, l, r) => format!("{}{}{}", op(l), o.symbol(), op(r)),
            RawCond::Between(a, b, c) => format!("{} btw {},{}", op(a), op(b), op(c)),
            RawCond::In(a, l) => format!(
                "{} in [{}]",
                op(a),
                l.iter().map(op).collect::<Vec<_>>().join(",")
            ),
            RawCond::Func(f) => op(&RawOperand::Func(f.clone())),
            RawCond::Not(n, c) => format!("not{n}({})", show(c)),
            RawCond::And(v) => format!("and({})", v.iter().map(show).collect::<Vec<_>>().join(" ")),
            RawCond::Or(v) => format!("or({})", v.iter().map(show).collect::<Vec<_>>().join(" ")),
        }
    }

    fn cond(s: &str) -> String {
        show(&parse_condition(s).unwrap_or_else(|e| panic!("{s}: {e}")))
    }

    #[test]
    fn precedence_not_and_or() {
        assert_eq!(
            cond("a = :a OR b = :b AND c = :c"),
            "or(a=:a and(b=:b c=:c))"
        );
        assert_eq!(
            cond("a = :a AND b = :b OR c = :c"),
            "or(and(a=:a b=:b) c=:c)"
        );
        assert_eq!(cond("NOT a = :a AND b = :b"), "and(not1(a=:a) b=:b)");
        assert_eq!(cond("NOT NOT a = :a"), "not2(a=:a)");
        assert_eq!(
            cond("(a = :a OR b = :b) AND c = :c"),
            "and(or(a=:a b=:b) c=:c)"
        );
        assert_eq!(
            cond("a=:a and b=:b and c=:c or d=:d or e=:e"),
            "or(and(a=:a b=:b c=:c) d=:d e=:e)"
        );
        assert_eq!(cond("NOT (a = :a OR b = :b)"), "not1(or(a=:a b=:b))");
    }

    #[test]
    fn comparisons_between_in_functions() {
        assert_eq!(cond("a.b[2].#c <> :v"), "a.b.[2].#c<>:v");
        assert_eq!(
            cond("a BETWEEN :x AND :y AND b < c"),
            "and(a btw :x,:y b<c)"
        );
        assert_eq!(cond("a IN (:x, :y, b)"), "a in [:x,:y,b]");
        assert_eq!(cond("begins_with(a, :p)"), "begins_with(a,:p)");
        assert_eq!(cond("size(a) >= :n"), "size(a)>=:n");
        assert_eq!(cond(":a = :b"), ":a=:b");
        assert_eq!(cond("(a) = (:b)"), "a=:b");
        assert_eq!(cond("(size(a)) > :n"), "size(a)>:n");
        assert_eq!(cond("(begins_with(a, :p))"), "begins_with(a,:p)");
        assert_eq!(cond("((a = :a) AND (b = :b))"), "and(a=:a b=:b)");
        assert_eq!(cond("a BeTwEeN :x aNd :y"), "a btw :x,:y");
        assert_eq!(cond(" \t a\n=\r:b "), "a=:b");
    }

    #[test]
    fn syntax_errors_name_the_token_and_its_neighbourhood() {
        assert_eq!(cond_err("foo"), syntax("<EOF>", "foo"));
        assert_eq!(cond_err("a = = :v"), syntax("=", "= = :v"));
        assert_eq!(cond_err("a = :v AND"), syntax("<EOF>", "AND"));
        assert_eq!(
            cond_err("things are not gonna be ok"),
            syntax("are", "things are not")
        );
        assert_eq!(cond_err("_hidden = :v"), syntax("_", "_hidden"));
        assert_eq!(cond_err("a = 5"), syntax("5", "= 5"));
        assert_eq!(cond_err("a != :v"), syntax("!", "a !="));
        assert_eq!(cond_err("attribute_not_exists("), syntax("<EOF>", "("));
        assert_eq!(
            cond_err("contains (themes, :theme"),
            syntax("<EOF>", ":theme")
        );
        assert_eq!(cond_err("NOT (#attr0)"), syntax("<EOF>", ")"));
        assert_eq!(cond_err("a IN ()"), syntax(")", "()"));
        assert_eq!(cond_err("a[01] = :v"), syntax("1", "01]"));
        assert_eq!(cond_err("a.:v"), syntax("<EOF>", ":v"));
        assert_eq!(cond_err(""), syntax("<EOF>", ""));
        assert_eq!(cond_err("   "), syntax("<EOF>", "   "));
        assert_eq!(cond_err("a = :v b"), syntax("b", ":v b"));
        assert_eq!(
            cond_err("a = :v trailing   "),
            syntax("trailing", ":v trailing   ")
        );
        assert_eq!(cond_err("(a = :v"), syntax("<EOF>", ":v"));
        assert_eq!(cond_err("a = (b = c)"), syntax("=", "b = c"));
        assert_eq!(cond_err("set = :v"), syntax("set", "set ="));
        assert_eq!(cond_err("é = :v"), syntax("é", "é ="));
        assert_eq!(cond_err("'('.repeat"), syntax("'", "'("));
    }

    #[test]
    fn redundant_parentheses() {
        for s in [
            "((a = :v))",
            "((a)) = :v",
            "a = ((:v))",
            "((c=:c) AND ((p=:p)))",
            "(((a = :v)))",
            "((size(a))) > :v",
            "((begins_with(a, :v)))",
        ] {
            assert_eq!(cond_err(s), Problem::RedundantParentheses, "{s}");
        }
        for s in [
            "(a = :v)",
            "((a = :v) AND b = :v)",
            "(a) = (:v)",
            "NOT (a = :v)",
            "(NOT (a = :v))",
        ] {
            assert!(parse_condition(s).is_ok(), "{s}");
        }
        // A syntax error before the doubled parentheses close wins.
        assert_eq!(cond_err("((a = = :v))"), syntax("=", "= = :v"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}a = :v{}", "(".repeat(2000), ")".repeat(2000));
        assert_eq!(cond_err(&deep), Problem::RedundantParentheses);
        let chain: String =
            (0..400).map(|_| "a = :v AND (").collect::<String>() + "a = :v" + &")".repeat(400);
        assert_eq!(cond_err(&chain), Problem::TooManyOperators(301));
        let ok: String =
            (0..250).map(|_| "a = :v AND (").collect::<String>() + "a = :v" + &")".repeat(250);
        assert!(parse_condition(&ok).is_ok());
        let nots = format!("{}a = :v", "NOT ".repeat(1000));
        assert_eq!(cond(&nots), "not1000(a=:v)");
        let fns = format!("{}a{}", "size(".repeat(500), ")".repeat(500));
        assert_eq!(
            parse_update(&format!("SET x = {fns}")).unwrap_err(),
            Problem::TooManyOperators(301)
        );
    }

    #[test]
    fn update_grammar() {
        let s = parse_update("SET a = :v, b = c + :n, c = if_not_exists(c, :z), d = list_append(d, :l) REMOVE e, f[1] ADD n :num DELETE s :set").unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].kind, SectionKind::Set);
        assert_eq!(s[0].actions.len(), 4);
        assert!(matches!(
            &s[0].actions[1],
            RawAction::Set(_, RawOperand::Arith(ArithOp::Plus, _, _))
        ));
        assert_eq!(s[1].actions.len(), 2);
        assert!(matches!(&s[2].actions[0], RawAction::Add(_, v) if v == ":num"));
        assert!(parse_update("set a = (b + c)").is_ok());
        assert!(parse_update("set a = (b) + (c)").is_ok());
        assert!(parse_update("set a = ((b) + c)").is_ok());
        assert!(
            parse_update("SET a = :v SET b = :w").is_ok(),
            "duplicates are a semantic error"
        );
        assert_eq!(
            parse_update("set a = ((b + c))").unwrap_err(),
            Problem::RedundantParentheses
        );
        assert_eq!(
            parse_update("set a = ((b))").unwrap_err(),
            Problem::RedundantParentheses
        );
    }

    #[test]
    fn update_syntax_errors() {
        let e = |s: &str| parse_update(s).expect_err(s);
        assert_eq!(
            e("INVALID SYNTAX HERE"),
            syntax("INVALID", "INVALID SYNTAX")
        );
        assert_eq!(e("SET _123 = :val1"), syntax("_", "SET _123"));
        assert_eq!(
            e("SET #attr1 = :val1, #attr2 = :val2,"),
            syntax("<EOF>", ",")
        );
        for s in [
            "whatever",
            "set a",
            "add a",
            "delete a",
            "set a=set",
            "remove a = b",
            "add a = b",
            "delete a = b",
            "delete a b",
            "delete a if_not_exist(b)",
            "add abort b",
            "add a if_not_exist(b)",
            "remove a b",
            "set a b",
            "set :a = b",
            "add :a b",
            "delete :a b",
            "remove :a",
            "set a = b / c",
            "set a = b * c",
            "set a[1] = \"eight\"",
            "set a[1] = 1",
            "SET if_not_exist(a, b) = a",
            "set (a = (b + c))",
            "set a = (b.c).d + e",
            "set a = (b.c)[0] + e",
            "set a = b + c + d",
            "set a = (b + c) + d",
            "",
            "SET a = :v,",
            "SET a = if_not_exists(a, b + c)",
        ] {
            assert!(matches!(e(s), Problem::Syntax { .. }), "{s}");
        }
    }

    #[test]
    fn projection_grammar() {
        let p = parse_projection("a, b.c, #d[3].e").unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[2].elems.len(), 3);
        assert_eq!(parse_projection("a,").unwrap_err(), syntax("<EOF>", ","));
        assert_eq!(parse_projection("a b").unwrap_err(), syntax("b", "a b"));
        assert_eq!(parse_projection("(a)").unwrap_err(), syntax("(", "(a"));
        assert_eq!(
            parse_projection("a[99999999999]").unwrap()[0].elems.len(),
            2
        );
        let ix = parse_projection("a[99999999999]").unwrap();
        assert!(
            matches!(&ix[0].elems[1], RawElem::Index(RawIndex { value: None, text }) if text == "[99999999999]")
        );
    }
}
