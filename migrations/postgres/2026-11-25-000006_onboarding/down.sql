DROP TABLE onboarding_applications;
