//! A property test of the ledger: random sequences of account openings, inbound payments,
//! holds, restrictions, closes and worker passes, driven through HTTP and checked after every
//! step against a model of what each account must show, and against `verify-ledger`.

use actix_web::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::support::{Json, TestApp, id_of};

#[derive(Debug, Clone, Default)]
struct Account {
    url: String,
    status: &'static str,
    balance: i64,
    /// Placed debit holds: (url, amount).
    holds: Vec<(String, i64)>,
    /// Active restrictions: (url, type, reason).
    restrictions: Vec<(String, &'static str, &'static str)>,
}

impl Account {
    fn held(&self) -> i64 {
        self.holds.iter().map(|(_, amount)| amount).sum()
    }

    fn blocked(&self) -> bool {
        self.restrictions
            .iter()
            .any(|(_, kind, _)| *kind == "block")
    }

    fn restricted(&self) -> bool {
        !self.restrictions.is_empty()
    }

    /// The refusal an inbound payment must get, if any.
    fn inbound_refusal(&self) -> Option<&'static str> {
        match self.status {
            "closed" => Some("bank-account-closed"),
            "closing" => Some("bank-account-closing"),
            _ if self.blocked() => Some("account-restricted"),
            _ => None,
        }
    }

    /// The refusal a debit hold of `amount` must get, if any.
    fn hold_refusal(&self, amount: i64) -> Option<&'static str> {
        match self.status {
            "closed" => Some("bank-account-closed"),
            _ if self.restricted() => Some("account-restricted"),
            _ if self.balance - self.held() < amount => Some("insufficient-funds"),
            _ => None,
        }
    }
}

fn pounds(pence: i64) -> String {
    format!("{}.{:02}", pence / 100, pence % 100)
}

const REASONS: [&str; 3] = ["other", "fraud-1st-party", "dormant"];

/// How often each outcome (see [`OUTCOMES`]) happened.
type Tally = std::collections::BTreeMap<String, usize>;

async fn run(seed: u64, steps: usize, tally: &mut Tally) {
    let app = TestApp::with_settings(hyperbank::config::Settings {
        account_opening: std::time::Duration::ZERO,
        // No test money, so that accounts can be emptied and closed.
        test_money: hyperbank::money::MinorUnits(0),
        ..Default::default()
    })
    .await;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut accounts: Vec<Account> = Vec::new();
    for step in 0..steps {
        let choice = if accounts.is_empty() {
            0
        } else {
            rng.random_range(0..100)
        };
        let context = format!("seed {seed} step {step} choice {choice}");
        let pick = |rng: &mut StdRng, accounts: &[Account]| rng.random_range(0..accounts.len());
        let mut count = |outcome: &str| *tally.entry(outcome.to_string()).or_default() += 1;
        match choice {
            0..=7 if accounts.len() < 8 => {
                let url = app.operational_account(&format!("Account {step}")).await;
                accounts.push(Account {
                    url,
                    status: "open",
                    ..Default::default()
                });
                count("account opened");
            }
            0..=39 => {
                let i = pick(&mut rng, &accounts);
                let amount = rng.random_range(1..=50_000);
                let response = app.inbound(&accounts[i].url, &pounds(amount)).await;
                match accounts[i].inbound_refusal() {
                    None => {
                        assert_eq!(
                            response.status,
                            StatusCode::CREATED,
                            "{context}: {}",
                            response.body
                        );
                        accounts[i].balance += amount;
                        count("inbound payment");
                    }
                    Some(title) => {
                        assert_eq!(
                            response.status,
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "{context}"
                        );
                        assert_eq!(response.error_title(), title, "{context}");
                        count(&format!("inbound payment refused: {title}"));
                    }
                }
            }
            40..=54 => {
                let i = pick(&mut rng, &accounts);
                let amount = rng.random_range(1..=30_000);
                let response = app
                    .post(
                        &format!(
                            "/v0/simulation/bank/accounts/{}/holds",
                            id_of(&accounts[i].url)
                        ),
                        json!({"amount": {"currency": "GBP", "value": pounds(amount)}}),
                    )
                    .await;
                match accounts[i].hold_refusal(amount) {
                    None => {
                        assert_eq!(
                            response.status,
                            StatusCode::CREATED,
                            "{context}: {}",
                            response.body
                        );
                        let url = response.body.str_at("hold-url");
                        accounts[i].holds.push((url.to_string(), amount));
                        count("hold placed");
                    }
                    Some(title) => {
                        assert_eq!(
                            response.error_title(),
                            title,
                            "{context}: {}",
                            response.body
                        );
                        count(&format!("hold refused: {title}"));
                    }
                }
            }
            55..=64 => {
                let i = pick(&mut rng, &accounts);
                if accounts[i].holds.is_empty() {
                    continue;
                }
                let h = rng.random_range(0..accounts[i].holds.len());
                let (url, _) = accounts[i].holds.remove(h);
                let response = app
                    .post(
                        &format!("/v0/simulation/bank/holds/{}/actions/release", id_of(&url)),
                        json!({}),
                    )
                    .await;
                assert_eq!(
                    response.status,
                    StatusCode::OK,
                    "{context}: {}",
                    response.body
                );
                count("hold released");
            }
            65..=74 => {
                let i = pick(&mut rng, &accounts);
                let kind = if rng.random_bool(0.5) {
                    "freeze"
                } else {
                    "block"
                };
                let reason = REASONS[rng.random_range(0..REASONS.len())];
                let response = app
                    .post(
                        &format!("{}/restrictions", accounts[i].url),
                        json!({"restriction-type": kind, "restriction-reason-code": reason,
                               "restriction-legal-status": "not-applicable", "notes": "test"}),
                    )
                    .await;
                let duplicate = accounts[i]
                    .restrictions
                    .iter()
                    .any(|(_, k, r)| *k == kind && *r == reason);
                if accounts[i].status == "closed" {
                    assert_eq!(response.error_title(), "bank-account-closed", "{context}");
                    count("restriction refused: bank-account-closed");
                } else if duplicate {
                    assert_eq!(response.status, StatusCode::CONFLICT, "{context}");
                    count("restriction refused: already applied");
                } else {
                    assert_eq!(
                        response.status,
                        StatusCode::CREATED,
                        "{context}: {}",
                        response.body
                    );
                    let url = response.body.str_at("bank-account-restriction-url");
                    accounts[i]
                        .restrictions
                        .push((url.to_string(), kind, reason));
                    count("restriction applied");
                }
            }
            75..=84 => {
                let i = pick(&mut rng, &accounts);
                if accounts[i].restrictions.is_empty() {
                    continue;
                }
                let r = rng.random_range(0..accounts[i].restrictions.len());
                let (url, _, _) = accounts[i].restrictions.remove(r);
                let response = app
                    .post(&format!("{url}/actions/lift"), json!({"notes": "lifted"}))
                    .await;
                assert_eq!(
                    response.status,
                    StatusCode::OK,
                    "{context}: {}",
                    response.body
                );
                count("restriction lifted");
            }
            85..=91 => {
                let i = pick(&mut rng, &accounts);
                let response = app
                    .post(&format!("{}/actions/close", accounts[i].url), json!({}))
                    .await;
                match accounts[i].status {
                    "open" => {
                        assert_eq!(
                            response.status,
                            StatusCode::OK,
                            "{context}: {}",
                            response.body
                        );
                        accounts[i].status = "closing";
                        count("close requested");
                    }
                    "closing" => {
                        assert_eq!(response.error_title(), "account-already-closing");
                        count("close refused: account-already-closing");
                    }
                    _ => {
                        assert_eq!(response.error_title(), "account-already-closed");
                        count("close refused: account-already-closed");
                    }
                }
            }
            _ => {
                app.run_worker().await;
                for account in &mut accounts {
                    if account.status == "closing" && account.balance == 0 && account.held() == 0 {
                        account.status = "closed";
                        count("account closed");
                    }
                }
            }
        }
        for account in &accounts {
            let shown = app.get(&account.url).await;
            assert_eq!(shown.body["account-status"], account.status, "{context}");
            assert_eq!(
                shown.body["account-balance"]["value"],
                pounds(account.balance),
                "{context}"
            );
            assert_eq!(
                shown.body["available-balance"]["value"],
                pounds(account.balance - account.held()),
                "{context}"
            );
            assert_eq!(
                shown.body["account-restricted"],
                account.restricted(),
                "{context}"
            );
        }
        app.assert_ledger_ok().await;
    }
}

/// Every outcome the model knows. The default seeds must reach each at least once, or the
/// checks of that outcome would pass without ever running.
const OUTCOMES: [&str; 18] = [
    "account opened",
    "inbound payment",
    "inbound payment refused: account-restricted",
    "inbound payment refused: bank-account-closing",
    "inbound payment refused: bank-account-closed",
    "hold placed",
    "hold refused: account-restricted",
    "hold refused: insufficient-funds",
    "hold refused: bank-account-closed",
    "hold released",
    "restriction applied",
    "restriction refused: already applied",
    "restriction refused: bank-account-closed",
    "restriction lifted",
    "close requested",
    "close refused: account-already-closing",
    "close refused: account-already-closed",
    "account closed",
];

#[actix_web::test]
async fn random_sequences_keep_every_invariant() {
    // `HYPERBANK_PROPERTY_SEED` replays one seed; one that does not parse fails the test
    // rather than running no sequence at all.
    let replay = match std::env::var("HYPERBANK_PROPERTY_SEED") {
        Ok(seed) => Some(seed.trim().parse::<u64>().unwrap_or_else(|e| {
            panic!("HYPERBANK_PROPERTY_SEED={seed:?} is not a seed (an unsigned integer): {e}")
        })),
        Err(std::env::VarError::NotPresent) => None,
        Err(e) => panic!("HYPERBANK_PROPERTY_SEED: {e}"),
    };
    let mut tally = Tally::new();
    // Seeds 1 to 3 never close an account; 4 does.
    for seed in replay.map_or(vec![1, 2, 3, 4], |seed| vec![seed]) {
        run(seed, 80, &mut tally).await;
    }
    let unknown: Vec<_> = tally
        .keys()
        .filter(|outcome| !OUTCOMES.contains(&outcome.as_str()))
        .collect();
    assert!(unknown.is_empty(), "add to OUTCOMES: {unknown:?}");
    if replay.is_none() {
        let missed: Vec<_> = OUTCOMES
            .iter()
            .filter(|outcome| !tally.contains_key(**outcome))
            .collect();
        assert!(
            missed.is_empty(),
            "the default seeds no longer reach {missed:?} ({tally:?}): choose seeds that do"
        );
    }
}
