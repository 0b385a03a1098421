//! A company as Companies House has it, in the shape Griffin answers with.

use serde::Serialize;

use super::CompanyStatus;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Company {
    pub entity_name: String,
    pub entity_registration_number: String,
    pub corporation_type: &'static str,
    pub date_of_incorporation: String,
    pub company_status: CompanyStatus,
    pub company_address: Address,
    pub sic_codes: Vec<&'static str>,
    pub accounts_overdue: bool,
    pub confirmation_statement_overdue: bool,
    pub directors: Vec<Director>,
    pub persons_with_significant_control: Vec<Psc>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Address {
    pub building_number: String,
    pub street_name: &'static str,
    pub city: &'static str,
    pub postal_code: String,
    pub country_code: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Director {
    pub display_name: String,
    pub companies_house_url: String,
    pub director_appointed_on: String,
    pub director_occupation: &'static str,
    pub month_of_birth: u32,
    pub year_of_birth: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Psc {
    pub display_name: String,
    pub given_name: &'static str,
    pub surname: &'static str,
    pub natures_of_control: Vec<&'static str>,
    pub companies_house_url: String,
    pub month_of_birth: u32,
    pub year_of_birth: u32,
}
