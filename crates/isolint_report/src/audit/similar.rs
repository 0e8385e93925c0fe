//! Texts that say the same thing about different names read as one: "writes to the fixed path 'a'"
//! and "writes to the fixed path 'b'" become "writes to the fixed paths 'a' and 'b'". A report that
//! repeats a sentence per file name is long without saying more; merged, each name is still there.

/// A text cut at its quoted names: `parts` alternate plain text and quoted names, plain first, so a
/// text with `n` names has `2n + 1` parts. Quotes are `'…'` or `` `…` ``; an apostrophe inside a
/// word (`another's`) quotes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Quoted {
    parts: Vec<String>,
    marks: Vec<char>,
}

impl Quoted {
    fn parse(text: &str, quotes: &[char]) -> Quoted {
        let chars: Vec<char> = text.chars().collect();
        let mut parts = vec![String::new()];
        let mut marks = Vec::new();
        let mut open: Option<char> = None;
        for (i, &c) in chars.iter().enumerate() {
            match open {
                Some(q) if c == q => {
                    open = None;
                    parts.push(String::new());
                }
                Some(_) => parts.last_mut().map_or((), |p| p.push(c)),
                None if quotes.contains(&c) && !(c == '\'' && inside_word(&chars, i)) => {
                    open = Some(c);
                    marks.push(c);
                    parts.push(String::new());
                }
                None => parts.last_mut().map_or((), |p| p.push(c)),
            }
        }
        if open.is_some() {
            // An unclosed quote: the text is taken as it is, with no names.
            return Quoted {
                parts: vec![text.to_string()],
                marks: Vec::new(),
            };
        }
        Quoted { parts, marks }
    }

    /// The plain text with every name left out: texts of one shape differ only in their names.
    fn shape(&self) -> (Vec<&str>, &[char]) {
        (
            self.parts.iter().step_by(2).map(String::as_str).collect(),
            &self.marks,
        )
    }

    fn names(&self) -> Vec<&str> {
        self.parts
            .iter()
            .skip(1)
            .step_by(2)
            .map(String::as_str)
            .collect()
    }
}

fn inside_word(chars: &[char], i: usize) -> bool {
    i > 0 && chars[i - 1].is_alphanumeric() && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
}

/// What texts that `merge` could join have in common: their plain text, names left out.
pub fn shape_key(text: &str, quotes: &[char]) -> String {
    let quoted = Quoted::parse(text, quotes);
    let (plain, marks) = quoted.shape();
    format!(
        "{}\u{0}{}",
        plain.join("\u{1}"),
        marks.iter().collect::<String>()
    )
}

/// Items whose texts differ in one quoted name only, merged: the first item's text with that name
/// replaced by every item's name (in order, each once) and the noun before it in the plural; the
/// items' `places` are concatenated (each once). Items that differ in more than one name, or in
/// their plain text, stay apart. Order: each merged item where its first member was.
pub fn merge<P: Clone + PartialEq>(
    items: Vec<(String, Vec<P>)>,
    quotes: &[char],
) -> Vec<(String, Vec<P>)> {
    let parsed: Vec<Quoted> = items
        .iter()
        .map(|(t, _)| Quoted::parse(t, quotes))
        .collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, q) in parsed.iter().enumerate() {
        let joins = groups.iter_mut().find(|group| {
            let first = &parsed[group[0]];
            first.shape() == q.shape()
                && differing(group.iter().map(|&g| &parsed[g]).chain([q])).len() <= 1
        });
        match joins {
            Some(group) => group.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let mut places: Vec<P> = Vec::new();
            for &i in &group {
                for place in &items[i].1 {
                    if !places.contains(place) {
                        places.push(place.clone());
                    }
                }
            }
            let members: Vec<&Quoted> = group.iter().map(|&i| &parsed[i]).collect();
            let text = match differing(members.iter().copied()).as_slice() {
                [position] => joined(&parsed[group[0]], *position, &members),
                _ => items[group[0]].0.clone(),
            };
            (text, places)
        })
        .collect()
}

/// The name positions at which some of `texts` differ.
fn differing<'a>(texts: impl Iterator<Item = &'a Quoted> + Clone) -> Vec<usize> {
    let mut all = texts.clone();
    let Some(first) = all.next() else {
        return Vec::new();
    };
    let names = first.names();
    (0..names.len())
        .filter(|&p| texts.clone().any(|t| t.names().get(p) != names.get(p)))
        .collect()
}

fn joined(first: &Quoted, position: usize, members: &[&Quoted]) -> String {
    let mut values: Vec<&str> = Vec::new();
    for member in members {
        if let Some(name) = member.names().get(position).copied() {
            if !values.contains(&name) {
                values.push(name);
            }
        }
    }
    let mark = first.marks[position];
    let quoted: Vec<String> = values.iter().map(|v| format!("{mark}{v}{mark}")).collect();
    let list = super::model::join_words(&quoted);
    let mut out = String::new();
    for (i, part) in first.parts.iter().enumerate() {
        if i % 2 == 0 {
            let before_list = i + 1 == 2 * position + 1;
            if before_list && values.len() > 1 {
                out.push_str(&pluralize_last_noun(part));
            } else {
                out.push_str(part);
            }
        } else if i == 2 * position + 1 {
            out.push_str(&list);
        } else {
            out.push(first.marks[i / 2]);
            out.push_str(part);
            out.push(first.marks[i / 2]);
        }
    }
    out
}

/// Nouns that name what a quoted name is, in the findings' wording.
const NOUNS: &[(&str, &str)] = &[
    ("path ", "paths "),
    ("folder ", "folders "),
    ("file ", "files "),
    ("variable ", "variables "),
    ("database ", "databases "),
    ("index ", "indexes "),
];

fn pluralize_last_noun(text: &str) -> String {
    for (one, many) in NOUNS {
        if let Some(stem) = text.strip_suffix(one) {
            return format!("{stem}{many}");
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(list: &[&str]) -> Vec<(String, Vec<u32>)> {
        list.iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), vec![i as u32]))
            .collect()
    }

    #[test]
    fn names_in_one_place_merge_with_their_places() {
        let merged = merge(
            texts(&[
                "`setUp` writes to the fixed path 'a.xls'",
                "`setUp` writes to the fixed path 'b.xls'",
                "`tearDown` removes the fixed path 'a.xls'",
                "`setUp` writes to the fixed path 'a.xls'",
            ]),
            &['\''],
        );
        assert_eq!(
            merged,
            vec![
                (
                    "`setUp` writes to the fixed paths 'a.xls' and 'b.xls'".to_string(),
                    vec![0, 1, 3]
                ),
                (
                    "`tearDown` removes the fixed path 'a.xls'".to_string(),
                    vec![2]
                ),
            ]
        );
    }

    #[test]
    fn texts_differing_in_two_names_stay_apart() {
        let list = texts(&[
            "replace `A` with `tmp_path / \"a\"`",
            "replace `B` with `tmp_path / \"b\"`",
        ]);
        assert_eq!(merge(list.clone(), &['`']), list);
        let merged = merge(
            texts(&[
                "create a folder in `setUp` and use `one.xls` inside it",
                "create a folder in `setUp` and use `two.xls` inside it",
            ]),
            &['`'],
        );
        assert_eq!(
            merged[0].0,
            "create a folder in `setUp` and use `one.xls` and `two.xls` inside it"
        );
    }

    #[test]
    fn apostrophes_and_unclosed_quotes_are_plain_text() {
        let list = texts(&["so no worker deletes another's files", "it's 'open"]);
        assert_eq!(merge(list.clone(), &['\'']), list);
    }
}
