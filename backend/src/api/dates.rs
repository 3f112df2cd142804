//! Calendar dates of UTC milliseconds, for what the server writes for people (CSV files, the
//! community page) without a date library: Howard Hinnant's `civil_from_days`.

/// A moment as people read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Civil {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    /// 0 = Sunday.
    pub weekday: i64,
    pub hour: i64,
    pub minute: i64,
}

/// Where Mulin Live's communities are: China Standard Time, UTC+8 all year.
pub(super) const BEIJING_MS: i64 = 8 * 60 * 60 * 1000;

/// `ms` (UTC) on a clock `offset_ms` ahead of UTC.
pub(super) fn civil(ms: i64, offset_ms: i64) -> Civil {
    let minutes = (ms + offset_ms).div_euclid(60_000);
    let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    Civil {
        year: yoe + era * 400 + i64::from(month <= 2),
        month,
        day,
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7),
        hour: minute_of_day / 60,
        minute: minute_of_day % 60,
    }
}

/// `"2026-12-04T10:25Z"`: a minute in UTC.
pub(super) fn iso_minute(ms: i64) -> String {
    let c = civil(ms, 0);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_as_dates() {
        assert_eq!(iso_minute(0), "1970-01-01T00:00Z");
        assert_eq!(iso_minute(1_796_379_930_000), "2026-12-04T10:25Z");
        assert_eq!(iso_minute(951_782_400_000), "2000-02-29T00:00Z");
        // 2026-12-04 10:25 UTC is 18:25 on a Friday in Beijing.
        let c = civil(1_796_379_930_000, BEIJING_MS);
        assert_eq!((c.day, c.weekday, c.hour, c.minute), (4, 5, 18, 25));
        // 20:00 UTC on the 4th is past midnight in Beijing: Saturday the 5th.
        let late = civil(1_796_379_930_000 + 9 * 3_600_000 + 35 * 60_000, BEIJING_MS);
        assert_eq!((late.day, late.weekday, late.hour), (5, 6, 4));
    }
}
