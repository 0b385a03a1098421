//! The claim types of Griffin's contract: one for each request schema in `schemas.json`
//! (a test keeps the two in step).

crate::text_enum! {
    /// What a claim states (an identity, a residence, a company register entry, …).
    pub enum ClaimType {
        AeoiEntityClassification = "aeoi-entity-classification",
        AlternativeNumber = "alternative-number",
        AnnualTurnover = "annual-turnover",
        BalanceSheetSize = "balance-sheet-size",
        BusinessAddress = "business-address",
        BusinessDescription = "business-description",
        BusinessEmailAddress = "business-email-address",
        BusinessIndustry = "business-industry",
        BusinessName = "business-name",
        BusinessOwner = "business-owner",
        BusinessSize = "business-size",
        BusinessStartDate = "business-start-date",
        BusinessTelephoneNumber = "business-telephone-number",
        BusinessType = "business-type",
        BusinessWebsite = "business-website",
        CashPayments = "cash-payments",
        ClientMoneyProtectionScheme = "client-money-protection-scheme",
        CommercialPropertyIndustries = "commercial-property-industries",
        CommercialPropertyRatio = "commercial-property-ratio",
        CompanyEmailAddress = "company-email-address",
        CompanyTelephoneNumber = "company-telephone-number",
        CompanyWebsite = "company-website",
        ContactDetails = "contact-details",
        Director = "director",
        Employment = "employment",
        EntityAddress = "entity-address",
        EntityName = "entity-name",
        ExternalRiskRating = "external-risk-rating",
        FcaFsRegisterFirm = "fca-fs-register-firm",
        FcaFsRegisterIndividual = "fca-fs-register-individual",
        FcaMutualsRegister = "fca-mutuals-register",
        GoverningBodyMember = "governing-body-member",
        HmoLicense = "hmo-license",
        HmoVerification = "hmo-verification",
        HmrcRegister = "hmrc-register",
        IndividualIdentity = "individual-identity",
        IndividualIncome = "individual-income",
        IndividualPurposesOfAccount = "individual-purposes-of-account",
        IndividualResidence = "individual-residence",
        IndividualSourcesOfFunds = "individual-sources-of-funds",
        InitialDeposit = "initial-deposit",
        InternationalOperationsCountries = "international-operations-countries",
        InternationalPaymentsCountries = "international-payments-countries",
        ManagedProperties = "managed-properties",
        MobileNumber = "mobile-number",
        Nationality = "nationality",
        NominalPersonWithSignificantControl = "nominal-person-with-significant-control",
        NonTenantBalance = "non-tenant-balance",
        NumberOfEmployees = "number-of-employees",
        PersonWithSignificantControl = "person-with-significant-control",
        PropertiesOriginsOfDeposits = "properties-origins-of-deposits",
        PropertyTypes = "property-types",
        PurposesOfAccount = "purposes-of-account",
        RelianceVerification = "reliance-verification",
        RoleTitles = "role-titles",
        SeniorManagerFunctionHolder = "senior-manager-function-holder",
        SicCodes = "sic-codes",
        SocialMedia = "social-media",
        SoleTrader = "sole-trader",
        SourcesOfFunds = "sources-of-funds",
        TaxIdentificationNumber = "tax-identification-number",
        TaxIdentificationNumbersByCountry = "tax-identification-numbers-by-country",
        TaxResidencies = "tax-residencies",
        TaxResidency = "tax-residency",
        TradingAddress = "trading-address",
        TradingName = "trading-name",
        UkCompanyRegister = "uk-company-register",
        UkFinancialServicesRegister = "uk-financial-services-register",
        UsCitizen = "us-citizen",
        VatRegistration = "vat-registration",
        VerifiedBankAccount = "verified-bank-account",
    }
}

impl ClaimType {
    /// Claims of these types name another legal person of the organization, through their
    /// `legal-person-url`, as a related party of the corporation they are made on.
    pub fn names_related_party(self) -> bool {
        matches!(
            self,
            ClaimType::Director | ClaimType::PersonWithSignificantControl
        )
    }
}
