//! Mail addresses as an operator sees them: an address is personal data, and
//! reading the queue needs only to tell one mail from another and to see which
//! domain refuses, so each shows its first character and its domain
//! (`a•••@example.org`), also where a mail server's answer names one.

/// `address` masked: its first character, `•••`, then `@` and the domain.
pub fn address(address: &str) -> String {
    let address = address.trim();
    let (local, domain) = match address.rsplit_once('@') {
        Some((local, domain)) => (local, Some(domain)),
        None => (address, None),
    };
    // A display name (`Amira <amira@…>`) is not shown either.
    let local = local.rsplit('<').next().unwrap_or_default();
    let first: String = local.chars().take(1).collect();
    match domain {
        Some(domain) => format!("{first}•••@{}", domain.trim_end_matches('>')),
        None => format!("{first}•••"),
    }
}

/// `text` (a mail server's answer) with every address in it masked.
pub fn addresses_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.contains('@') {
            out.push_str(&address(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '(' | ')' | '"' | '\'' | ':') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_keeps_its_first_character_and_its_domain() {
        assert_eq!(address("amira@example.org"), "a•••@example.org");
        assert_eq!(address("Ωmega.person@mail.example"), "Ω•••@mail.example");
        assert_eq!(address("not an address"), "n•••");
        assert_eq!(address(""), "•••");
    }

    #[test]
    fn an_answer_naming_her_address_shows_it_masked() {
        assert_eq!(
            addresses_in("550 5.1.1 <amira.haddad@example.org>: user unknown"),
            "550 5.1.1 <a•••@example.org>: user unknown"
        );
        assert_eq!(
            addresses_in("451 4.3.0 busy, try again later"),
            "451 4.3.0 busy, try again later"
        );
    }
}
