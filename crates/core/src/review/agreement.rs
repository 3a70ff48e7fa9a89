//! Agreement between reviewers: Krippendorff's alpha over units (a step, a trajectory) each
//! holding the values its reviewers gave, with a percentile bootstrap interval over units and
//! percent agreement for each pair of reviewers. Alpha as Krippendorff defines it
//! (*Computing Krippendorff's Alpha-Reliability*, 2011): a coincidence matrix of pairable values,
//! nominal or ordinal distances, `1 − (n − 1) · Σ o·δ² / Σ nc·nk·δ²`. Pure arithmetic: which
//! labels form which units is the caller's (the hub's agreement report).

use std::collections::{BTreeMap, BTreeSet};

/// How values of a dimension are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Categories: equal or not (correctness, a yes/no flag, a verdict).
    Nominal,
    /// Ranks: a 1 and a 5 disagree more than a 4 and a 5 (a 1–5 score).
    Ordinal,
}

/// One unit: the values its reviewers gave, by reviewer.
pub type Unit = BTreeMap<String, i64>;

/// Krippendorff's alpha over `units`; None when it is not defined (fewer than two pairable
/// values, or every value the same, where there is no variation to agree on).
pub fn alpha(units: &[Unit], level: Level) -> Option<f64> {
    // Only units with two or more values are pairable.
    let pairable: Vec<Vec<i64>> = units.iter().map(|u| u.values().copied().collect::<Vec<_>>()).filter(|v| v.len() >= 2).collect();
    let domain: Vec<i64> = pairable.iter().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect();
    let index = |v: i64| domain.binary_search(&v).unwrap_or(0);
    let k = domain.len();
    if k == 0 {
        return None;
    }
    // The coincidence matrix: each ordered pair of values in a unit counts 1 / (m − 1).
    let mut o = vec![vec![0.0f64; k]; k];
    for values in &pairable {
        let w = 1.0 / (values.len() as f64 - 1.0);
        for (i, a) in values.iter().enumerate() {
            for (j, b) in values.iter().enumerate() {
                if i != j {
                    o[index(*a)][index(*b)] += w;
                }
            }
        }
    }
    let nc: Vec<f64> = o.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = nc.iter().sum();
    let delta = |c: usize, d: usize| -> f64 {
        match level {
            Level::Nominal => f64::from(u8::from(c != d)),
            Level::Ordinal => {
                let (lo, hi) = (c.min(d), c.max(d));
                let between: f64 = nc[lo..=hi].iter().sum();
                (between - (nc[c] + nc[d]) / 2.0).powi(2)
            }
        }
    };
    let (mut observed, mut expected) = (0.0, 0.0);
    for c in 0..k {
        for d in 0..k {
            let dd = delta(c, d);
            observed += o[c][d] * dd;
            expected += nc[c] * nc[d] * dd;
        }
    }
    (expected > 0.0 && n > 1.0).then(|| 1.0 - (n - 1.0) * observed / expected)
}

/// A 95% percentile bootstrap interval of alpha: units drawn with replacement `rounds` times
/// (the same seed gives the same interval). None where alpha is undefined in most draws.
pub fn bootstrap(units: &[Unit], level: Level, rounds: usize, seed: u64) -> Option<(f64, f64)> {
    if units.is_empty() {
        return None;
    }
    let mut rng = SplitMix(seed);
    let mut draws: Vec<f64> = (0..rounds)
        .filter_map(|_| {
            let sample: Vec<Unit> = (0..units.len()).map(|_| units[(rng.next() % units.len() as u64) as usize].clone()).collect();
            alpha(&sample, level)
        })
        .collect();
    if draws.len() * 2 < rounds {
        return None;
    }
    draws.sort_by(f64::total_cmp);
    let at = |q: f64| draws[((draws.len() - 1) as f64 * q).round() as usize];
    Some((at(0.025), at(0.975)))
}

/// How often two reviewers gave the same value on the units both labelled.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairAgreement {
    pub a: String,
    pub b: String,
    pub units: usize,
    /// Share of those units with equal values (None without shared units).
    pub agreement: Option<f64>,
}

/// Percent agreement of every pair of reviewers over `units`, pairs in name order.
pub fn pairs(units: &[Unit]) -> Vec<PairAgreement> {
    let mut counts: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for u in units {
        let values: Vec<(&String, &i64)> = u.iter().collect();
        for (i, (a, va)) in values.iter().enumerate() {
            for (b, vb) in &values[i + 1..] {
                let e = counts.entry(((*a).clone(), (*b).clone())).or_default();
                e.0 += 1;
                e.1 += usize::from(va == vb);
            }
        }
    }
    counts.into_iter().map(|((a, b), (n, same))| PairAgreement { a, b, units: n, agreement: (n > 0).then(|| same as f64 / n as f64) }).collect()
}

/// A small, fast, seedable generator (SplitMix64): enough to draw bootstrap samples.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Krippendorff's own example (2011, p. 3): four coders, twelve units, some values missing.
    fn example() -> Vec<Unit> {
        let rows: [[Option<i64>; 12]; 4] = [
            [Some(1), Some(2), Some(3), Some(3), Some(2), Some(1), Some(4), Some(1), Some(2), None, None, None],
            [Some(1), Some(2), Some(3), Some(3), Some(2), Some(2), Some(4), Some(1), Some(2), Some(5), None, Some(3)],
            [None, Some(3), Some(3), Some(3), Some(2), Some(3), Some(4), Some(2), Some(2), Some(5), Some(1), None],
            [Some(1), Some(2), Some(3), Some(3), Some(2), Some(4), Some(4), Some(1), Some(2), Some(5), Some(1), None],
        ];
        (0..12).map(|u| rows.iter().enumerate().filter_map(|(c, row)| row[u].map(|v| (format!("coder{c}"), v))).collect()).collect()
    }

    #[test]
    fn alpha_matches_krippendorffs_worked_example() {
        let units = example();
        let nominal = alpha(&units, Level::Nominal).unwrap();
        let ordinal = alpha(&units, Level::Ordinal).unwrap();
        assert!((nominal - 0.743).abs() < 0.0005, "nominal {nominal}");
        assert!((ordinal - 0.815).abs() < 0.0005, "ordinal {ordinal}");
        let (lo, hi) = bootstrap(&units, Level::Nominal, 1000, 7).unwrap();
        assert!(lo <= nominal && nominal <= hi && lo < hi, "{lo} {nominal} {hi}");
        assert_eq!(bootstrap(&units, Level::Nominal, 1000, 7), Some((lo, hi)), "one seed, one interval");
    }

    #[test]
    fn perfect_agreement_is_one_and_no_variation_is_undefined() {
        let unit = |a: i64, b: i64| Unit::from([("ann".to_string(), a), ("bob".to_string(), b)]);
        assert_eq!(alpha(&[unit(1, 1), unit(2, 2), unit(3, 3)], Level::Nominal), Some(1.0));
        assert_eq!(alpha(&[unit(1, 1), unit(1, 1)], Level::Nominal), None, "every value the same");
        assert_eq!(alpha(&[Unit::from([("ann".to_string(), 1)])], Level::Nominal), None, "nothing pairable");
        let p = pairs(&[unit(1, 1), unit(2, 3)]);
        assert_eq!(p, vec![PairAgreement { a: "ann".into(), b: "bob".into(), units: 2, agreement: Some(0.5) }]);
    }
}
