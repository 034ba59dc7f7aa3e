//! Who may use the page: the pure checks behind the guard in `web::guard`.
//!
//! The page runs on the user's machine with their mail in reach, so every request must
//! prove it comes from the person who started `debrief web`:
//! - the **token** printed in the URL (then a cookie, `HttpOnly`, `SameSite=Strict`,
//!   named after the port so two pages on one machine do not mix);
//! - a **Host** header naming a loopback host, so a web page on another origin cannot
//!   reach the server through DNS rebinding;
//! - on every POST, the **CSRF token** of the forms the page rendered, and an `Origin`,
//!   when the browser sends one, that is a loopback origin too.
//!
//! Nothing here reads the clock or does I/O but [`random_token`].

use std::io::Read as _;
use std::net::IpAddr;

/// 128 random bits from the kernel, as 32 hex digits.
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .map_err(|err| anyhow::anyhow!("could not read /dev/urandom for the page's token: {err}"))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Whether a `Host` header (or the host of an `Origin`) names this machine: `localhost`,
/// a name under `.localhost`, a loopback address, or, when the user allowed remote use,
/// the address the page listens on. A port, if any, is ignored.
pub fn host_allowed(host: &str, remote_ip: Option<IpAddr>) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [::1]:8750
        match rest.split_once(']') {
            Some((address, _)) => address,
            None => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            Some(_) => return false,
            None => host,
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || Some(ip) == remote_ip,
        Err(_) => false,
    }
}

/// The host of an `Origin` header (`http://127.0.0.1:8750`), if it is an http(s) origin.
pub fn origin_host(origin: &str) -> Option<&str> {
    let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"))?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(key, _)| *key == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_are_allowed() {
        for host in ["localhost", "localhost:8750", "127.0.0.1:8750", "[::1]:8750", "app.localhost", "LOCALHOST."] {
            assert!(host_allowed(host, None), "{host}");
        }
        for host in ["evil.example", "evil.example:8750", "localhost.evil.example", "10.0.0.5:8750", "", "[::1"] {
            assert!(!host_allowed(host, None), "{host}");
        }
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        assert!(host_allowed("192.168.1.20:8750", Some(lan)), "the address the user chose to listen on");
        assert!(!host_allowed("192.168.1.21:8750", Some(lan)));
    }

    #[test]
    fn secrets_cookies_and_origins_are_read_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc") && !same_secret("ab", "abc") && !same_secret("", "abc"));
        assert_eq!(cookie("a=1; debrief_8750=tok; b=2", "debrief_8750"), Some("tok"));
        assert_eq!(cookie("xdebrief_8750=tok", "debrief_8750"), None);
        assert_eq!(origin_host("http://127.0.0.1:8750"), Some("127.0.0.1:8750"));
        assert_eq!(origin_host("null"), None);
        let token = random_token().unwrap();
        assert_eq!(token.len(), 32);
        assert_ne!(token, random_token().unwrap());
    }
}
