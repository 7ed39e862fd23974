//! A periods report (`GET /v1/reports` JSON) as text for people and scripts: an aligned
//! table, CSV or Markdown, one row per SLO and period.

use serde_json::Value;

/// How `slipstream report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextFormat {
    /// Aligned columns.
    Table,
    /// The JSON of `GET /v1/reports`.
    Json,
    /// Comma-separated values with a header line (RFC 4180 quoting).
    Csv,
    /// A Markdown table, for a review document or a postmortem.
    Markdown,
}

const HEADER: [&str; 14] = [
    "service",
    "slo",
    "first_day",
    "last_day",
    "complete",
    "good",
    "bad",
    "total",
    "sli_pct",
    "objective_pct",
    "met",
    "budget_consumed_pct",
    "worst_day",
    "adjusted",
];

fn pct(v: &Value, digits: usize) -> String {
    v.as_f64()
        .map_or_else(|| "-".into(), |x| format!("{:.*}", digits, x * 100.0))
}

/// The cells of every row of `report`.
fn rows(report: &Value) -> Vec<[String; 14]> {
    let mut out = Vec::new();
    let empty = Vec::new();
    for slo in report["slos"].as_array().unwrap_or(&empty) {
        for p in slo["periods"].as_array().unwrap_or(&empty) {
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                Value::Null => "-".into(),
                other => other.to_string(),
            };
            let worst = &p["worst_day"];
            let worst = if worst.is_object() {
                format!("{} ({}%)", text(&worst["date"]), pct(&worst["sli"], 3))
            } else {
                "-".into()
            };
            out.push([
                text(&slo["service"]),
                text(&slo["slo"]),
                text(&p["first_day"]),
                text(&p["last_day"]),
                text(&p["complete"]),
                text(&p["good"]),
                text(&p["bad"]),
                text(&p["total"]),
                pct(&p["sli"], 4),
                pct(&slo["objective"], 4),
                text(&p["met"]),
                pct(&p["budget_consumed_ratio"], 1),
                worst,
                adjusted(&p["adjustments"]),
            ]);
        }
    }
    out
}

/// The adjustments inside a period, as `name 120m` each (the minutes actually adjusted);
/// `-` for none.
fn adjusted(v: &Value) -> String {
    let Some(list) = v.as_array().filter(|l| !l.is_empty()) else {
        return "-".into();
    };
    let minutes = |ranges: &Value| {
        let empty = Vec::new();
        let us: i64 = ranges
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .filter_map(|r| {
                let t = |k: &str| crate::time::parse_rfc3339(r[k].as_str()?).ok();
                Some(t("end")? - t("start")?)
            })
            .sum();
        us as f64 / crate::time::MINUTE as f64
    };
    list.iter()
        .map(|a| {
            let name = a["name"].as_str().unwrap_or("?");
            format!("{name} {}m", minutes(&a["ranges"]))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `report` printed as `format`.
pub fn render(report: &Value, format: TextFormat) -> String {
    let rows = rows(report);
    let header = HEADER.map(String::from);
    match format {
        TextFormat::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        TextFormat::Csv => std::iter::once(&header)
            .chain(&rows)
            .map(|r| r.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(",") + "\n")
            .collect(),
        TextFormat::Markdown => {
            let line = |r: &[String; 14]| {
                let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
                format!("| {} |\n", cells.join(" | "))
            };
            let mut out = line(&header);
            out += &format!("|{}\n", "---|".repeat(HEADER.len()));
            out.extend(rows.iter().map(line));
            out
        }
        TextFormat::Table => {
            crate::text_table::aligned(&std::iter::once(header).chain(rows).collect::<Vec<_>>())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn report() -> Value {
        json!({"slos": [{
        "service": "checkout", "slo": "availability", "objective": 0.999,
        "periods": [
            {"first_day": "2026-10-01", "last_day": "2026-10-31", "complete": true,
             "good": 9990, "bad": 10, "total": 10000, "sli": 0.999, "met": true,
             "budget_consumed_ratio": 1.0,
             "worst_day": {"date": "2026-10-07", "sli": 0.99},
             "adjustments": [{"name": "db", "mode": "exclude", "ranges": [
                {"start": "2026-10-04T02:00:00Z", "end": "2026-10-04T04:00:00Z"},
                {"start": "2026-10-11T02:00:00Z", "end": "2026-10-11T02:30:00Z"}]}]},
            {"first_day": "2026-11-01", "last_day": "2026-11-04", "complete": false,
             "good": 0, "bad": 0, "total": 0, "sli": null, "met": null,
             "budget_consumed_ratio": null, "worst_day": null}
        ]}]})
    }

    #[test]
    fn every_format_prints_every_row() {
        let csv = render(&report(), TextFormat::Csv);
        assert_eq!(
            csv.lines().nth(1),
            Some(
                "checkout,availability,2026-10-01,2026-10-31,true,9990,10,10000,99.9000,99.9000,true,100.0,2026-10-07 (99.000%),db 150m"
            )
        );
        assert_eq!(
            csv.lines().nth(2),
            Some("checkout,availability,2026-11-01,2026-11-04,false,0,0,0,-,99.9000,-,-,-,-")
        );
        let md = render(&report(), TextFormat::Markdown);
        assert!(md.starts_with("| service | slo | first_day |"), "{md}");
        assert_eq!(md.lines().nth(1).unwrap().matches("---|").count(), 14);
        assert!(md.contains("| 2026-10-07 (99.000%) |"), "{md}");
        let table = render(&report(), TextFormat::Table);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        // Columns line up: `good` starts at the same offset on every line.
        assert_eq!(lines[1].find("9990"), lines[0].find("good"));
        assert_eq!(lines[2].find(" 0 ").map(|i| i + 1), lines[0].find("good"));
        let json: Value = serde_json::from_str(&render(&report(), TextFormat::Json)).unwrap();
        assert_eq!(json, report());
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
