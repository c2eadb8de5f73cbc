-- lead_reports.sql: the tables of lead_reports (install-once: changed only by an update script in src/upgrades/).

-- How many leads each (type, status, campaign) group of an account has, and the
-- amount of their linked orders: a group's crm.lead_counts row plus its
-- crm.lead_count_changes rows (crm.lead_group_counts adds them up).  Lead
-- writes only append changes; they are folded into crm.lead_counts every so
-- often by a writing session, or by crm.fold_lead_counts().  Written only by
-- crm (as the owner); a group whose leads all moved away stays with leads = 0.
CREATE TABLE crm.lead_counts (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    type_id     bigint NOT NULL,
    status_id   bigint NOT NULL,
    campaign_id bigint,
    leads       bigint NOT NULL DEFAULT 0,
    revenue     numeric(16, 2) NOT NULL DEFAULT 0,
    UNIQUE NULLS NOT DISTINCT (account_id, type_id, status_id, campaign_id)
);

-- Written only by the lead triggers, for a lead of the account (whose type holds the
-- account, leads.sql), as crm.lead_events: so no foreign key, whose check every lead
-- write would pay once per group it moves.
CREATE TABLE crm.lead_count_changes (
    account_id  bigint NOT NULL DEFAULT crm.current_account(),
    type_id     bigint NOT NULL,
    status_id   bigint NOT NULL,
    campaign_id bigint,
    leads       bigint NOT NULL,
    revenue     numeric(16, 2) NOT NULL
);
