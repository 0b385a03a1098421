//! The schema, identical on both backends (see the migrations).

diesel::table! {
    organizations (id) {
        id -> Text,
        display_name -> Text,
        organization_mode -> Text,
        own_legal_person_id -> Text,
        can_decide_on_verifications -> Bool,
        created_at -> BigInt,
        message_signatures_required -> Bool,
        owner_membership_id -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        username -> Text,
        given_name -> Nullable<Text>,
        surname -> Nullable<Text>,
        created_at -> BigInt,
        password_hash -> Nullable<Text>,
    }
}

diesel::table! {
    memberships (id) {
        id -> Text,
        organization_id -> Text,
        user_id -> Text,
        created_at -> BigInt,
        membership_status -> Text,
    }
}

diesel::table! {
    membership_roles (membership_id, role_id) {
        membership_id -> Text,
        role_id -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        organization_id -> Text,
        user_id -> Text,
        name -> Text,
        secret_hash -> Text,
        live -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        organization_id -> Text,
        event_type -> Text,
        payload -> Text,
        created_at -> BigInt,
        position -> BigInt,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        organization_id -> Text,
        display_name -> Text,
        description -> Text,
        permissions -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        expires_at -> BigInt,
        created_at -> BigInt,
        organization_id -> Nullable<Text>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        role_ids -> Text,
        group_ids -> Text,
        invitation_status -> Text,
        invited_by_user_id -> Text,
        membership_id -> Nullable<Text>,
        expires_at -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    invitation_tokens (token_hash) {
        token_hash -> Text,
        invitation_id -> Text,
        superseded -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    legal_persons (id) {
        id -> Text,
        organization_id -> Text,
        legal_person_type -> Text,
        display_name -> Text,
        legal_name -> Nullable<Text>,
        application_status -> Nullable<Text>,
        legal_person_status -> Nullable<Text>,
        status_changed_at -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    claims (id) {
        id -> Text,
        legal_person_id -> Text,
        organization_id -> Text,
        claim_type -> Text,
        body -> Text,
        verification_status -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    verifications (id) {
        id -> Text,
        organization_id -> Text,
        legal_person_id -> Text,
        workflow_id -> Text,
        verification_status -> Text,
        risk_rating -> Nullable<Text>,
        due_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    decisions (id) {
        id -> Text,
        organization_id -> Text,
        legal_person_id -> Text,
        verification_id -> Text,
        decision_outcome -> Text,
        decision_notes -> Text,
        decision_maker -> Text,
        user_id -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    onboarding_applications (id) {
        id -> Text,
        organization_id -> Text,
        workflow_id -> Text,
        onboarding_application_status -> Text,
        legal_person_id -> Text,
        verification_id -> Text,
        decision_outcome -> Nullable<Text>,
        due_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    bank_accounts (id) {
        id -> Text,
        organization_id -> Text,
        bank_product_type -> Text,
        client_money_type -> Nullable<Text>,
        savings_type -> Nullable<Text>,
        pooled_funds -> Bool,
        primary_account -> Bool,
        display_name -> Text,
        account_status -> Text,
        owner_id -> Text,
        controller_id -> Text,
        beneficiary_id -> Nullable<Text>,
        account_holder -> Text,
        account_number -> Text,
        bank_id -> Text,
        balance -> BigInt,
        held -> BigInt,
        transaction_count -> BigInt,
        active_freezes -> Integer,
        active_blocks -> Integer,
        opens_at -> Nullable<BigInt>,
        created_at -> BigInt,
        opened_at -> Nullable<BigInt>,
        closed_at -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        organization_id -> Text,
        account_id -> Text,
        payment_direction -> Text,
        amount -> BigInt,
        payment_reference -> Nullable<Text>,
        creditor -> Text,
        debtor -> Text,
        created_by_user_id -> Nullable<Text>,
        created_at -> BigInt,
        payee_id -> Nullable<Text>,
        creditor_account_id -> Nullable<Text>,
        created_via -> Nullable<Text>,
        latest_submission_id -> Nullable<Text>,
        latest_submission_status -> Nullable<Text>,
        rejected_at -> Nullable<BigInt>,
        rejected_by_user_id -> Nullable<Text>,
        rejection_reason -> Nullable<Text>,
    }
}

diesel::table! {
    admissions (id) {
        id -> Text,
        organization_id -> Text,
        payment_id -> Text,
        account_id -> Text,
        admission_status -> Text,
        payment_scheme -> Text,
        end_to_end_identification -> Text,
        unique_scheme_identifier -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    postings (id) {
        id -> Text,
        entry_id -> Text,
        organization_id -> Text,
        account_id -> Text,
        amount -> BigInt,
        balance_after -> Nullable<BigInt>,
        account_seq -> Nullable<BigInt>,
        origin_type -> Text,
        payment_id -> Nullable<Text>,
        reference -> Nullable<Text>,
        description -> Nullable<Text>,
        processed_at -> BigInt,
        effective_at -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    holds (id) {
        id -> Text,
        organization_id -> Text,
        account_id -> Text,
        status -> Text,
        direction -> Text,
        amount -> BigInt,
        origin_type -> Text,
        origin_metadata -> Nullable<Text>,
        release_reason -> Nullable<Text>,
        expires_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    restrictions (id) {
        id -> Text,
        organization_id -> Text,
        account_id -> Text,
        restriction_status -> Text,
        restriction_type -> Text,
        restriction_reason_code -> Text,
        restriction_legal_status -> Text,
        applied_by_user_id -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    restriction_events (id) {
        id -> Text,
        restriction_id -> Text,
        restriction_event_type -> Text,
        restriction_type -> Text,
        restriction_reason_code -> Text,
        restriction_legal_status -> Text,
        notes -> Text,
        user_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    pool_members (account_id, legal_person_id) {
        account_id -> Text,
        legal_person_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    cop_requests (id) {
        id -> Text,
        organization_id -> Text,
        account -> Text,
        cop_response -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    payees (id) {
        id -> Text,
        organization_id -> Text,
        legal_person_id -> Text,
        account_holder -> Text,
        account_number -> Text,
        bank_id -> Text,
        payee_status -> Text,
        cop_request_id -> Nullable<Text>,
        account_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    submissions (id) {
        id -> Text,
        organization_id -> Text,
        payment_id -> Text,
        account_id -> Text,
        submission_status -> Text,
        payment_scheme -> Text,
        end_to_end_identification -> Text,
        unique_scheme_identifier -> Text,
        created_by_user_id -> Nullable<Text>,
        due_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (organization_id, idempotency_key) {
        organization_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_location -> Nullable<Text>,
        response_body -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        organization_id -> Text,
        destination_url -> Text,
        description -> Nullable<Text>,
        webhook_state -> Text,
        created_by -> Nullable<Text>,
        test_event_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    tell_consents (id) {
        id -> Text,
        organization_id -> Text,
        consent_uuid -> Text,
        tell_gateway_id -> Text,
        tell_consent_scope -> Text,
        tell_consent_permissions -> Text,
        tell_consent_status -> Text,
        tell_consent_expiry -> Nullable<BigInt>,
        consumed_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    message_signature_keys (id) {
        id -> Text,
        organization_id -> Text,
        public_key_pem -> Text,
        public_key -> Text,
        created_by_user_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        organization_id -> Text,
        delivery_status -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        next_attempt_at -> Nullable<BigInt>,
        lease_until -> Nullable<BigInt>,
        last_http_status -> Nullable<Integer>,
        last_error_code -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_delivery_attempts (delivery_id, attempt) {
        delivery_id -> Text,
        attempt -> Integer,
        started_at -> BigInt,
        duration_micros -> BigInt,
        http_status -> Nullable<Integer>,
        error_code -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_dispatch (id) {
        id -> Integer,
        position -> BigInt,
        event_id -> Text,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        private_pkcs8 -> Binary,
        public_point -> Binary,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
        published_until -> Nullable<BigInt>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> events (event_id));
diesel::joinable!(webhooks -> organizations (organization_id));

diesel::table! {
    tell_consent_accounts (tell_consent_id, position) {
        tell_consent_id -> Text,
        position -> Integer,
        account_id -> Text,
    }
}

diesel::table! {
    message_signature_nonces (key_id, nonce) {
        key_id -> Text,
        nonce -> Text,
        expires_at -> BigInt,
    }
}

diesel::joinable!(memberships -> organizations (organization_id));
diesel::joinable!(claims -> legal_persons (legal_person_id));
diesel::joinable!(legal_persons -> organizations (organization_id));
diesel::joinable!(roles -> organizations (organization_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(invitations -> organizations (organization_id));
diesel::joinable!(invitation_tokens -> invitations (invitation_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(membership_roles -> memberships (membership_id));
diesel::joinable!(api_keys -> organizations (organization_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(events -> organizations (organization_id));
diesel::joinable!(pool_members -> legal_persons (legal_person_id));
diesel::joinable!(admissions -> payments (payment_id));

diesel::table! {
    member_groups (id) {
        id -> Text,
        organization_id -> Text,
        display_name -> Text,
        description -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    group_memberships (group_id, membership_id) {
        group_id -> Text,
        membership_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    group_roles (group_id, role_id) {
        group_id -> Text,
        role_id -> Text,
    }
}

diesel::joinable!(group_memberships -> member_groups (group_id));
diesel::joinable!(group_memberships -> memberships (membership_id));
diesel::joinable!(group_roles -> member_groups (group_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    memberships,
    membership_roles,
    api_keys,
    events,
    roles,
    sessions,
    invitations,
    invitation_tokens,
    legal_persons,
    claims,
    verifications,
    decisions,
    onboarding_applications,
    bank_accounts,
    payments,
    admissions,
    postings,
    holds,
    restrictions,
    restriction_events,
    pool_members,
    cop_requests,
    payees,
    submissions,
    idempotency_keys,
    webhooks,
    webhook_deliveries,
    webhook_delivery_attempts,
    webhook_dispatch,
    signing_keys,
    tell_consents,
    tell_consent_accounts,
    message_signature_keys,
    message_signature_nonces,
    member_groups,
    group_memberships,
    group_roles,
);
