//! UTC instants as tamis reads and writes them.
//!
//! Every date tamis shows — in the catalog, the findings, the CLI, the
//! workbench, the report — is written here, in one of three precisions
//! ([`rfc3339`], [`minute`], [`day`]), so the same instant never reads two
//! ways. Times are Unix seconds (`i64`), always UTC: a message's own zone
//! is evidence kept in its Date header, not a display setting.
//!
//! Dumps carry absurd dates (year 0, year 60000, negative timestamps):
//! nothing here panics or overflows on any `i64`; years outside 0-9999 are
//! written with as many digits as they need.

/// Days since 1970-01-01 of a civil date (Howard Hinnant's
/// `days_from_civil`); `None` for a month or day out of range.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era.checked_mul(146_097)?.checked_add(doe - 719_468)
}

/// The civil date of a day count since 1970-01-01 (Hinnant's
/// `civil_from_days`), as (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // i128: `days + 719_468` must not overflow for any i64.
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i128::from(m <= 2);
    (
        y.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
        m,
        d,
    )
}

/// The parts of `ts`: (year, month, day, hour, minute, second).
fn parts(ts: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (days, secs) = (ts.div_euclid(86_400), ts.rem_euclid(86_400) as u32);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
}

/// `2017-05-05T18:57:00Z`: the form of the catalog, the evidence and the
/// findings.
pub fn rfc3339(ts: i64) -> String {
    let (y, mo, d, h, mi, s) = parts(ts);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `2017-05-05 18:57`: a date in a list a person scans.
pub fn minute(ts: i64) -> String {
    let (y, mo, d, h, mi, _) = parts(ts);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
}

/// `2017-05-05`.
pub fn day(ts: i64) -> String {
    let (y, mo, d, ..) = parts(ts);
    format!("{y:04}-{mo:02}-{d:02}")
}

/// Parse a time as people and the import formats write it: Unix seconds,
/// an RFC 3339 timestamp (any offset), or a plain date (`2016-08-16`,
/// taken as 00:00 UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let mut secs = days_from_civil(y, m, d)?.checked_mul(86_400)?;
    if let Some(t) = time {
        let (clock, offset) = split_offset(t)?;
        let mut hms = clock.split(':');
        let h: i64 = hms.next()?.parse().ok()?;
        let mi: i64 = hms.next().unwrap_or("0").parse().ok()?;
        let se: f64 = hms.next().unwrap_or("0").parse().ok()?;
        secs = secs.checked_add(clock_seconds(h, mi, se as i64)?.checked_sub(offset)?)?;
    }
    Some(secs)
}

/// `h:m:s` in seconds, `None` where a hostile value would overflow.
pub fn clock_seconds(h: i64, m: i64, s: i64) -> Option<i64> {
    h.checked_mul(3600)?
        .checked_add(m.checked_mul(60)?)?
        .checked_add(s)
}

fn split_offset(t: &str) -> Option<(&str, i64)> {
    if let Some(clock) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        return Some((clock, 0));
    }
    if let Some(i) = t.rfind(['+', '-']) {
        let (clock, off) = t.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let off = off[1..].replace(':', "");
        if off.len() == 4 {
            let h: i64 = off[..2].parse().ok()?;
            let m: i64 = off[2..].parse().ok()?;
            return Some((clock, sign * (h * 3600 + m * 60)));
        }
    }
    Some((t, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_written_in_three_precisions() {
        for (ts, full, min) in [
            (0, "1970-01-01T00:00:00Z", "1970-01-01 00:00"),
            (1_493_888_400, "2017-05-04T09:00:00Z", "2017-05-04 09:00"),
            (951_782_400, "2000-02-29T00:00:00Z", "2000-02-29 00:00"),
            (-1, "1969-12-31T23:59:59Z", "1969-12-31 23:59"),
            (253_402_300_799, "9999-12-31T23:59:59Z", "9999-12-31 23:59"),
        ] {
            assert_eq!(rfc3339(ts), full);
            assert_eq!(minute(ts), min);
            assert_eq!(day(ts), &full[..10]);
            assert_eq!(parse_time(full), Some(ts), "{full}");
        }
    }

    #[test]
    fn every_day_round_trips_and_no_instant_panics() {
        for days in (-800_000..800_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), Some(days));
        }
        for ts in [i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 86_400] {
            assert!(!rfc3339(ts).is_empty());
        }
    }

    #[test]
    fn times_are_read_as_written() {
        assert_eq!(parse_time("2016-08-16"), Some(1_471_305_600));
        assert_eq!(parse_time("2016-08-16T02:00:00+02:00"), Some(1_471_305_600));
        assert_eq!(parse_time("1471305600"), Some(1_471_305_600));
        assert_eq!(parse_time("2016-13-01"), None);
        // Hostile values overflow nothing.
        assert_eq!(parse_time("2016-01-01T9223372036854775807:00"), None);
        assert_eq!(parse_time("-9223372036854775808-01-01"), None);
        assert_eq!(parse_time("soon"), None);
    }
}
