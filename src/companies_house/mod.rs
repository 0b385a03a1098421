//! Companies House lookups, sandbox style: no registry is called. Every well-formed company
//! number gets a stable company generated from the number itself, so the same number always
//! answers the same; a few numbers are fixed:
//!
//! - `91824539` is Money Technology Ltd., the company of Griffin's documentation;
//! - a number ending in `404` is not found (404);
//! - a number ending in `410` is a dissolved company.
//!
//! Numbers are eight characters: eight digits, or two capital letters and six digits
//! (`SC123456`); anything else is a 400.

pub mod handlers;
pub mod view;

use sha2::{Digest, Sha256};

pub use view::{Address, Company, Director, Psc};

pub const MONEY_TECHNOLOGY: &str = "91824539";

/// Whether `number` is shaped like a Companies House number.
pub fn valid_number(number: &str) -> bool {
    let bytes = number.as_bytes();
    bytes.len() == 8
        && (bytes.iter().all(u8::is_ascii_digit)
            || (bytes[..2].iter().all(u8::is_ascii_uppercase)
                && bytes[2..].iter().all(u8::is_ascii_digit)))
}

/// A well-formed company number ([`valid_number`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyNumber(String);

impl CompanyNumber {
    pub fn parse(text: &str) -> Option<Self> {
        valid_number(text).then(|| CompanyNumber(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text_enum! {
    /// Whether a company still trades.
    pub enum CompanyStatus {
        Active = "active",
        Dissolved = "dissolved",
    }
}

const GIVEN_NAMES: [&str; 12] = [
    "Ada",
    "Alan",
    "Grace",
    "Tim",
    "Katherine",
    "Charles",
    "Mary",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
];
const SURNAMES: [&str; 12] = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Berners-Lee",
    "Johnson",
    "Babbage",
    "Somerville",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Napier",
];
const NAME_WORDS: [&str; 12] = [
    "Northern",
    "Harbour",
    "Granite",
    "Meadow",
    "Copper",
    "Lantern",
    "Summit",
    "Willow",
    "Beacon",
    "Thistle",
    "Orchard",
    "Riverside",
];
const TRADES: [&str; 8] = [
    "Software",
    "Trading",
    "Consulting",
    "Logistics",
    "Design",
    "Payments",
    "Foods",
    "Holdings",
];
const STREETS: [(&str, &str, &str); 6] = [
    ("High Street", "London", "EC1A"),
    ("Station Road", "Manchester", "M1"),
    ("Church Lane", "Bristol", "BS1"),
    ("Victoria Road", "Leeds", "LS1"),
    ("Mill Lane", "Edinburgh", "EH1"),
    ("Queen Street", "Cardiff", "CF10"),
];
const OCCUPATIONS: [&str; 5] = [
    "Director",
    "Engineer",
    "Accountant",
    "Consultant",
    "Designer",
];
const SIC_CODES: [&str; 6] = ["62012", "62020", "64999", "70229", "47910", "56101"];
const CONTROL: [&str; 3] = [
    "ownership-of-shares-25-to-50-percent",
    "ownership-of-shares-50-to-75-percent",
    "ownership-of-shares-75-to-100-percent",
];

/// Deterministic choices drawn from the SHA-256 of the company number.
struct Draw {
    bytes: [u8; 32],
    next: usize,
}

impl Draw {
    fn new(number: &str) -> Self {
        Draw {
            bytes: Sha256::digest(format!("hyperbank companies house {number}").as_bytes()).into(),
            next: 0,
        }
    }

    fn below(&mut self, n: usize) -> usize {
        let byte = self.bytes[self.next % self.bytes.len()];
        self.next += 1;
        usize::from(byte) % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

fn officer_url(number: &str, index: usize) -> String {
    format!(
        "https://find-and-update.company-information.service.gov.uk/company/{number}/officers#{index}"
    )
}

fn psc_url(number: &str, index: usize) -> String {
    format!(
        "https://find-and-update.company-information.service.gov.uk/company/{number}/persons-with-significant-control#{index}"
    )
}

/// The company registered under `number`, or `None` when the sandbox has none.
pub fn lookup(number: &CompanyNumber) -> Option<Company> {
    let number = number.as_str();
    if number.ends_with("404") {
        return None;
    }
    if number == MONEY_TECHNOLOGY {
        return Some(money_technology());
    }
    let mut draw = Draw::new(number);
    let (street, city, postcode_area) = draw.pick(&STREETS);
    let year = 1990 + draw.below(34) as u32;
    let directors = directors(&mut draw, number, year);
    let persons_with_significant_control = persons_with_significant_control(&mut draw, number);
    Some(Company {
        entity_name: format!("{} {} Ltd", draw.pick(&NAME_WORDS), draw.pick(&TRADES)),
        entity_registration_number: number.to_string(),
        corporation_type: "private-limited-company",
        date_of_incorporation: format!(
            "{year}-{:02}-{:02}",
            1 + draw.below(12),
            1 + draw.below(28)
        ),
        company_status: if number.ends_with("410") {
            CompanyStatus::Dissolved
        } else {
            CompanyStatus::Active
        },
        company_address: Address {
            building_number: (1 + draw.below(200)).to_string(),
            street_name: street,
            city,
            postal_code: format!(
                "{postcode_area} {}{}{}",
                1 + draw.below(9),
                (b'A' + draw.below(26) as u8) as char,
                (b'A' + draw.below(26) as u8) as char
            ),
            country_code: "GB",
        },
        sic_codes: vec![draw.pick(&SIC_CODES)],
        accounts_overdue: false,
        confirmation_statement_overdue: false,
        directors,
        persons_with_significant_control,
    })
}

/// The directors of a generated company, appointed in its year of incorporation.
fn directors(draw: &mut Draw, number: &str, year: u32) -> Vec<Director> {
    (0..1 + draw.below(3))
        .map(|i| {
            let (given, surname) = (draw.pick(&GIVEN_NAMES), draw.pick(&SURNAMES));
            Director {
                display_name: format!("{}, {given}", surname.to_uppercase()),
                companies_house_url: officer_url(number, i),
                director_appointed_on: format!(
                    "{year}-{:02}-{:02}",
                    1 + draw.below(12),
                    1 + draw.below(28)
                ),
                director_occupation: draw.pick(&OCCUPATIONS),
                month_of_birth: 1 + draw.below(12) as u32,
                year_of_birth: 1950 + draw.below(50) as u32,
            }
        })
        .collect()
}

fn persons_with_significant_control(draw: &mut Draw, number: &str) -> Vec<Psc> {
    (0..1 + draw.below(2))
        .map(|i| {
            let (given_name, surname) = (draw.pick(&GIVEN_NAMES), draw.pick(&SURNAMES));
            Psc {
                display_name: format!("{given_name} {surname}"),
                given_name,
                surname,
                natures_of_control: vec![draw.pick(&CONTROL)],
                companies_house_url: psc_url(number, i),
                month_of_birth: 1 + draw.below(12) as u32,
                year_of_birth: 1950 + draw.below(50) as u32,
            }
        })
        .collect()
}

/// Griffin's documentation example.
fn money_technology() -> Company {
    Company {
        entity_name: "Money Technology Ltd.".to_string(),
        entity_registration_number: MONEY_TECHNOLOGY.to_string(),
        corporation_type: "private-limited-company",
        date_of_incorporation: "2017-06-01".to_string(),
        company_status: CompanyStatus::Active,
        company_address: Address {
            building_number: "12".to_string(),
            street_name: "Argyle Street",
            city: "London",
            postal_code: "EC2V 9AN".to_string(),
            country_code: "GB",
        },
        sic_codes: vec!["62012"],
        accounts_overdue: false,
        confirmation_statement_overdue: false,
        directors: vec![Director {
            display_name: "LOVELACE, Ada".to_string(),
            companies_house_url: officer_url(MONEY_TECHNOLOGY, 0),
            director_appointed_on: "2017-06-01".to_string(),
            director_occupation: "Director",
            month_of_birth: 12,
            year_of_birth: 1985,
        }],
        persons_with_significant_control: vec![Psc {
            display_name: "Ada Lovelace".to_string(),
            given_name: "Ada",
            surname: "Lovelace",
            natures_of_control: vec!["ownership-of-shares-75-to-100-percent"],
            companies_house_url: psc_url(MONEY_TECHNOLOGY, 0),
            month_of_birth: 12,
            year_of_birth: 1985,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_shapes() {
        for good in ["91824539", "00000001", "SC123456", "NI000001"] {
            assert!(valid_number(good), "{good}");
        }
        for bad in [
            "",
            "1234567",
            "123456789",
            "sc123456",
            "S1234567",
            "1234567A",
            "12 34567",
        ] {
            assert!(!valid_number(bad), "{bad}");
        }
    }

    fn lookup_text(text: &str) -> Option<Company> {
        CompanyNumber::parse(text).and_then(|number| lookup(&number))
    }

    #[test]
    fn lookups_are_stable_and_magic_numbers_hold() {
        let first = serde_json::to_value(lookup_text("12345678")).unwrap_or_default();
        let again = serde_json::to_value(lookup_text("12345678")).unwrap_or_default();
        assert_eq!(first, again);
        assert_ne!(
            first,
            serde_json::to_value(lookup_text("12345679")).unwrap_or_default()
        );
        assert!(lookup_text("00000404").is_none());
        assert_eq!(
            lookup_text("00000410").map(|c| c.company_status),
            Some(CompanyStatus::Dissolved)
        );
        assert_eq!(
            lookup_text(MONEY_TECHNOLOGY).map(|c| c.entity_name),
            Some("Money Technology Ltd.".to_string())
        );
    }
}
