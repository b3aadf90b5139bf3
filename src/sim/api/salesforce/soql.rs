//! The subset of SOQL the simulated Salesforce answers: `SELECT fields | COUNT() FROM object [WHERE
//! comparisons joined by AND / OR, with parentheses] [ORDER BY field [ASC|DESC] [NULLS
//! FIRST|LAST]] [LIMIT n]`. Comparisons: `= != < <= > >= LIKE IN (…) NOT IN (…)` against
//! 'strings', numbers, `true` / `false` / `null` and unquoted date-times
//! (`2026-11-20T15:02:00Z`), as Salesforce writes them. Anything else is a
//! `MALFORMED_QUERY`, with where it stopped.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `SELECT COUNT()`: the answer is `totalSize` alone, with no records.
    pub count: bool,
    pub fields: Vec<String>,
    pub object: String,
    pub filter: Option<Cond>,
    pub order: Option<(String, bool)>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Cmp(String, Op, Vec<Lit>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    In,
    NotIn,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Time(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Sym(&'static str),
}

fn lex(q: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = q.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string literal".into()),
                    Some('\\') => {
                        if let Some(&n) = chars.get(i + 1) {
                            s.push(n);
                        }
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else if let Some(sym) = ["!=", "<=", ">=", "=", "<", ">", ",", "(", ")"]
            .into_iter()
            .find(|s| chars[i..].starts_with(&s.chars().collect::<Vec<_>>()))
        {
            out.push(Tok::Sym(sym));
            i += sym.len();
        } else if c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | ':' | '+') {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '-' | ':' | '+'))
            {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else {
            return Err(format!("unexpected character '{c}'"));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.at), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn kw(&mut self, kw: &str) -> Result<(), String> {
        if self.peek_kw(kw) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expecting {kw} at token {}", self.at + 1))
        }
    }

    fn sym(&mut self, s: &str) -> bool {
        if matches!(self.toks.get(self.at), Some(Tok::Sym(x)) if *x == s) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Result<String, String> {
        match self.toks.get(self.at) {
            Some(Tok::Word(w)) => {
                self.at += 1;
                Ok(w.clone())
            }
            _ => Err(format!("expecting a field name at token {}", self.at + 1)),
        }
    }

    fn lit(&mut self) -> Result<Lit, String> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        match t {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Word(w)) => {
                if w.eq_ignore_ascii_case("null") {
                    Ok(Lit::Null)
                } else if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") {
                    Ok(Lit::Bool(w.eq_ignore_ascii_case("true")))
                } else if let Ok(t) = DateTime::parse_from_rfc3339(&w) {
                    Ok(Lit::Time(t.to_utc()))
                } else if let Ok(n) = w.parse::<f64>() {
                    Ok(Lit::Num(n))
                } else {
                    Err(format!("unexpected value {w}"))
                }
            }
            _ => Err(format!("expecting a value at token {}", self.at)),
        }
    }

    fn cond(&mut self) -> Result<Cond, String> {
        let mut left = self.conj()?;
        while self.peek_kw("OR") {
            self.at += 1;
            left = Cond::Or(Box::new(left), Box::new(self.conj()?));
        }
        Ok(left)
    }

    fn conj(&mut self) -> Result<Cond, String> {
        let mut left = self.atom()?;
        while self.peek_kw("AND") {
            self.at += 1;
            left = Cond::And(Box::new(left), Box::new(self.atom()?));
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Cond, String> {
        if self.sym("(") {
            let c = self.cond()?;
            if !self.sym(")") {
                return Err("expecting )".into());
            }
            return Ok(c);
        }
        let field = self.ident()?;
        let op = if self.sym("=") {
            Op::Eq
        } else if self.sym("!=") {
            Op::Ne
        } else if self.sym("<=") {
            Op::Le
        } else if self.sym(">=") {
            Op::Ge
        } else if self.sym("<") {
            Op::Lt
        } else if self.sym(">") {
            Op::Gt
        } else if self.peek_kw("LIKE") {
            self.at += 1;
            Op::Like
        } else if self.peek_kw("IN") {
            self.at += 1;
            Op::In
        } else if self.peek_kw("NOT") {
            self.at += 1;
            self.kw("IN")?;
            Op::NotIn
        } else {
            return Err(format!("unexpected token after {field}"));
        };
        let values = if matches!(op, Op::In | Op::NotIn) {
            if !self.sym("(") {
                return Err("expecting ( after IN".into());
            }
            let mut v = vec![self.lit()?];
            while self.sym(",") {
                v.push(self.lit()?);
            }
            if !self.sym(")") {
                return Err("expecting ) after IN list".into());
            }
            v
        } else {
            vec![self.lit()?]
        };
        Ok(Cond::Cmp(field, op, values))
    }
}

/// Parse one query, or say what is malformed.
pub fn parse(q: &str) -> Result<Query, String> {
    let mut p = Parser {
        toks: lex(q)?,
        at: 0,
    };
    p.kw("SELECT")?;
    let count = p.peek_kw("COUNT") && p.toks.get(p.at + 1) == Some(&Tok::Sym("("));
    let mut fields = Vec::new();
    if count {
        p.at += 2;
        if !p.sym(")") {
            return Err("COUNT() takes no field here".into());
        }
    } else {
        fields.push(p.ident()?);
        while p.sym(",") {
            fields.push(p.ident()?);
        }
    }
    p.kw("FROM")?;
    let object = p.ident()?;
    let filter = if p.peek_kw("WHERE") {
        p.at += 1;
        Some(p.cond()?)
    } else {
        None
    };
    let order = if p.peek_kw("ORDER") {
        p.at += 1;
        p.kw("BY")?;
        let field = p.ident()?;
        let mut asc = true;
        if p.peek_kw("ASC") {
            p.at += 1;
        } else if p.peek_kw("DESC") {
            p.at += 1;
            asc = false;
        }
        if p.peek_kw("NULLS") {
            p.at += 2;
        }
        Some((field, asc))
    } else {
        None
    };
    let limit = if p.peek_kw("LIMIT") {
        p.at += 1;
        match p.lit()? {
            Lit::Num(n) if n >= 0.0 && n.fract() == 0.0 => Some(n as usize),
            _ => return Err("LIMIT takes a whole number".into()),
        }
    } else {
        None
    };
    if p.at < p.toks.len() {
        return Err(format!("unexpected token {} at the end", p.at + 1));
    }
    Ok(Query {
        count,
        fields,
        object,
        filter,
        order,
        limit,
    })
}

/// Compare a record's value with a literal the way SOQL does: dates as dates, numbers as
/// numbers, text case-insensitively; `null` equals only a missing value.
fn compare(value: Option<&str>, lit: &Lit) -> Option<std::cmp::Ordering> {
    match (value, lit) {
        (None, Lit::Null) => Some(std::cmp::Ordering::Equal),
        (None, _) | (Some(_), Lit::Null) => None,
        (Some(v), Lit::Time(t)) => DateTime::parse_from_rfc3339(v)
            .ok()
            .map(|d| d.to_utc().cmp(t)),
        (Some(v), Lit::Num(n)) => v.parse::<f64>().ok().and_then(|x| x.partial_cmp(n)),
        (Some(v), Lit::Bool(b)) => Some(if v.eq_ignore_ascii_case(&b.to_string()) {
            std::cmp::Ordering::Equal
        } else {
            std::cmp::Ordering::Less
        }),
        (Some(v), Lit::Str(s)) => Some(v.to_lowercase().cmp(&s.to_lowercase())),
    }
}

fn like(value: &str, pattern: &str) -> bool {
    // `%` any run, `_` one character; case-insensitive.
    fn go(v: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('%', rest)) => (0..=v.len()).any(|i| go(&v[i..], rest)),
            Some(('_', rest)) => !v.is_empty() && go(&v[1..], rest),
            Some((c, rest)) => {
                v.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(&v[1..], rest)
            }
        }
    }
    let v: Vec<char> = value.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    go(&v, &p)
}

impl Cond {
    /// Whether a record (`get`: its fields by name) satisfies the condition.
    pub fn matches<'a>(&self, get: &impl Fn(&str) -> Option<&'a str>) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Cond::And(a, b) => a.matches(get) && b.matches(get),
            Cond::Or(a, b) => a.matches(get) || b.matches(get),
            Cond::Cmp(field, op, values) => {
                let v = get(field);
                let first = &values[0];
                match op {
                    Op::Eq => compare(v, first) == Some(Equal),
                    Op::Ne => compare(v, first) != Some(Equal),
                    Op::Lt => compare(v, first) == Some(Less),
                    Op::Le => matches!(compare(v, first), Some(Less | Equal)),
                    Op::Gt => compare(v, first) == Some(Greater),
                    Op::Ge => matches!(compare(v, first), Some(Greater | Equal)),
                    Op::Like => match (v, first) {
                        (Some(v), Lit::Str(p)) => like(v, p),
                        _ => false,
                    },
                    Op::In => values.iter().any(|l| compare(v, l) == Some(Equal)),
                    Op::NotIn => values.iter().all(|l| compare(v, l) != Some(Equal)),
                }
            }
        }
    }

    /// The conditions every match must meet: this one, split at its top-level `AND`s.
    fn conjuncts(&self) -> Vec<&Cond> {
        match self {
            Cond::And(a, b) => {
                let mut all = a.conjuncts();
                all.extend(b.conjuncts());
                all
            }
            other => vec![other],
        }
    }

    /// The date-times every match's `fields` are compared to by one of `ops`, from the
    /// top-level conjuncts.
    fn bounds<'a>(
        &'a self,
        fields: &'a [&str],
        ops: [Op; 2],
    ) -> impl Iterator<Item = DateTime<Utc>> + 'a {
        self.conjuncts().into_iter().filter_map(move |c| match c {
            Cond::Cmp(f, op, v)
                if ops.contains(op) && fields.iter().any(|n| f.eq_ignore_ascii_case(n)) =>
            {
                match v.as_slice() {
                    [Lit::Time(t)] => Some(*t),
                    _ => None,
                }
            }
            _ => None,
        })
    }

    /// The latest lower bound every match puts on one of `fields` (`> t` or `>= t`).
    pub fn lower_bound(&self, fields: &[&str]) -> Option<DateTime<Utc>> {
        self.bounds(fields, [Op::Gt, Op::Ge]).max()
    }

    /// The earliest upper bound every match puts on one of `fields` (`< t` or `<= t`).
    pub fn upper_bound(&self, fields: &[&str]) -> Option<DateTime<Utc>> {
        self.bounds(fields, [Op::Lt, Op::Le]).min()
    }

    /// The values every match's `field` must be one of (`= 'x'` or `IN ('x', …)`), when a
    /// top-level conjunct says so.
    pub fn one_of(&self, field: &str) -> Option<Vec<&str>> {
        self.conjuncts().into_iter().find_map(|c| match c {
            Cond::Cmp(f, Op::Eq | Op::In, values) if f.eq_ignore_ascii_case(field) => values
                .iter()
                .map(|v| match v {
                    Lit::Str(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect(),
            _ => None,
        })
    }

    /// Every field the condition reads.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => {
                let mut f = a.fields();
                f.extend(b.fields());
                f
            }
            Cond::Cmp(field, _, _) => vec![field.as_str()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |f: &str| pairs.iter().find(|(k, _)| *k == f).map(|(_, v)| *v)
    }

    #[test]
    fn a_sync_query_parses_and_filters_by_date_and_text() {
        let q = parse(
            "SELECT Id, Status FROM Lead WHERE SystemModstamp > 2026-11-20T00:00:00Z \
             AND (Status = 'Marketing Qualified' OR Status LIKE 'work%') \
             ORDER BY SystemModstamp ASC LIMIT 200",
        )
        .unwrap();
        assert_eq!(q.fields, ["Id", "Status"]);
        assert_eq!(q.object, "Lead");
        assert_eq!(q.order, Some(("SystemModstamp".into(), true)));
        assert_eq!(q.limit, Some(200));
        let f = q.filter.unwrap();
        let newer = [
            ("SystemModstamp", "2026-11-20T10:00:00.000Z"),
            ("Status", "Marketing Qualified"),
        ];
        let working = [
            ("SystemModstamp", "2026-11-21T10:00:00.000Z"),
            ("Status", "Working - Contacted"),
        ];
        let older = [
            ("SystemModstamp", "2026-11-19T10:00:00.000Z"),
            ("Status", "Marketing Qualified"),
        ];
        assert!(f.matches(&rec(&newer)));
        assert!(f.matches(&rec(&working)));
        assert!(!f.matches(&rec(&older)));
    }

    #[test]
    fn in_null_and_booleans_compare_as_soql_does() {
        let f = parse("SELECT Id FROM Lead WHERE IsConverted = false AND OwnerId != null AND Status IN ('A', 'b')")
            .unwrap()
            .filter
            .unwrap();
        assert!(f.matches(&rec(&[
            ("IsConverted", "false"),
            ("OwnerId", "005"),
            ("Status", "B")
        ])));
        assert!(!f.matches(&rec(&[
            ("IsConverted", "true"),
            ("OwnerId", "005"),
            ("Status", "A")
        ])));
        assert!(!f.matches(&rec(&[("IsConverted", "false"), ("Status", "A")])));
    }

    #[test]
    fn bounds_and_named_values_come_from_top_level_conjuncts_only() {
        let q = parse(
            "SELECT Id FROM Lead WHERE SystemModstamp >= 2026-11-20T15:00:00Z AND Id IN ('00Q1', '00Q2') \
             AND (LastModifiedDate > 2026-11-21T00:00:00Z OR Status = 'x')",
        )
        .unwrap();
        let c = q.filter.unwrap();
        assert_eq!(
            c.lower_bound(&["systemmodstamp", "LastModifiedDate"]),
            Some("2026-11-20T15:00:00Z".parse().unwrap()),
            "a bound under OR narrows nothing"
        );
        assert_eq!(c.one_of("Id"), Some(vec!["00Q1", "00Q2"]));
        assert_eq!(c.one_of("Status"), None);
        let either = parse("SELECT Id FROM Lead WHERE Id = '00Q1' OR Id = '00Q2'").unwrap();
        assert_eq!(either.filter.unwrap().one_of("Id"), None);
    }

    #[test]
    fn count_takes_no_fields() {
        let q =
            parse("SELECT COUNT() FROM Lead WHERE SystemModstamp >= 2026-11-20T00:00:00Z").unwrap();
        assert!(q.count);
        assert!(q.fields.is_empty());
        assert!(parse("SELECT COUNT(Id) FROM Lead").is_err());
        assert!(!parse("SELECT Id FROM Lead").unwrap().count);
    }

    #[test]
    fn malformed_queries_say_where() {
        for bad in [
            "SELECT FROM Lead",
            "SELECT Id Lead",
            "SELECT Id FROM Lead WHERE Status =",
            "SELECT Id FROM Lead WHERE Status = 'open",
            "SELECT Id FROM Lead LIMIT -1",
            "SELECT Id FROM Lead ORDER BY",
            "SELECT Id FROM Lead garbage",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
