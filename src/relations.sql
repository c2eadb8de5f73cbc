-- relations.sql: the short names PostGraphile gives the relations between crm's tables.
-- Every key is (account_id, id), so by default a relation is named after both columns
-- (clientByAccountIdAndClientId, leadsByAccountIdAndClientId); the smart tags here name it
-- after what it is instead: a lead's client, a client's leads.  A table with two relations
-- to the same table names the way back after the column (statusTransitionsByFromStatus).

COMMENT ON CONSTRAINT alerts_account_id_client_id_fkey ON crm.alerts IS E'@fieldName client\n@foreignFieldName alerts\n'
    'The row of crm.clients that crm.alerts.client_id names.';
COMMENT ON CONSTRAINT alerts_account_id_conversation_id_fkey ON crm.alerts IS E'@fieldName conversation\n@foreignFieldName alerts\n'
    'The row of crm.conversations that crm.alerts.conversation_id names.';
COMMENT ON CONSTRAINT alerts_account_id_employee_id_fkey ON crm.alerts IS E'@fieldName employee\n@foreignFieldName alerts\n'
    'The row of crm.employees that crm.alerts.employee_id names.';
COMMENT ON CONSTRAINT alerts_account_id_invoice_id_fkey ON crm.alerts IS E'@fieldName invoice\n@foreignFieldName alerts\n'
    'The row of crm.invoices that crm.alerts.invoice_id names.';
COMMENT ON CONSTRAINT alerts_account_id_offer_id_fkey ON crm.alerts IS E'@fieldName offer\n@foreignFieldName alerts\n'
    'The row of crm.offers that crm.alerts.offer_id names.';
COMMENT ON CONSTRAINT alerts_account_id_payment_id_fkey ON crm.alerts IS E'@fieldName payment\n@foreignFieldName alerts\n'
    'The row of crm.payments that crm.alerts.payment_id names.';
COMMENT ON CONSTRAINT appointment_events_account_id_appointment_id_fkey ON crm.appointment_events IS E'@fieldName appointment\n@foreignFieldName appointmentEvents\n'
    'The row of crm.appointments that crm.appointment_events.appointment_id names.';
COMMENT ON CONSTRAINT appointment_events_account_id_fkey ON crm.appointment_events IS E'@fieldName account\n@foreignFieldName appointmentEvents\n'
    'The row of crm.accounts that crm.appointment_events.account_id names.';
COMMENT ON CONSTRAINT appointments_account_id_client_id_fkey ON crm.appointments IS E'@fieldName client\n@foreignFieldName appointments\n'
    'The row of crm.clients that crm.appointments.client_id names.';
COMMENT ON CONSTRAINT appointments_account_id_employee_id_fkey ON crm.appointments IS E'@fieldName employee\n@foreignFieldName appointments\n'
    'The row of crm.employees that crm.appointments.employee_id names.';
COMMENT ON CONSTRAINT appointments_account_id_fkey ON crm.appointments IS E'@fieldName account\n@foreignFieldName appointments\n'
    'The row of crm.accounts that crm.appointments.account_id names.';
COMMENT ON CONSTRAINT call_task_events_account_id_fkey ON crm.call_task_events IS E'@fieldName account\n@foreignFieldName callTaskEvents\n'
    'The row of crm.accounts that crm.call_task_events.account_id names.';
COMMENT ON CONSTRAINT call_task_events_account_id_task_id_fkey ON crm.call_task_events IS E'@fieldName task\n@foreignFieldName callTaskEvents\n'
    'The row of crm.call_tasks that crm.call_task_events.task_id names.';
COMMENT ON CONSTRAINT call_tasks_account_id_client_id_fkey ON crm.call_tasks IS E'@fieldName client\n@foreignFieldName callTasks\n'
    'The row of crm.clients that crm.call_tasks.client_id names.';
COMMENT ON CONSTRAINT call_tasks_account_id_employee_id_fkey ON crm.call_tasks IS E'@fieldName employee\n@foreignFieldName callTasks\n'
    'The row of crm.employees that crm.call_tasks.employee_id names.';
COMMENT ON CONSTRAINT call_tasks_account_id_fkey ON crm.call_tasks IS E'@fieldName account\n@foreignFieldName callTasks\n'
    'The row of crm.accounts that crm.call_tasks.account_id names.';
COMMENT ON CONSTRAINT calls_account_id_client_id_fkey ON crm.calls IS E'@fieldName client\n@foreignFieldName calls\n'
    'The row of crm.clients that crm.calls.client_id names.';
COMMENT ON CONSTRAINT calls_account_id_employee_id_fkey ON crm.calls IS E'@fieldName employee\n@foreignFieldName calls\n'
    'The row of crm.employees that crm.calls.employee_id names.';
COMMENT ON CONSTRAINT calls_account_id_invoice_id_fkey ON crm.calls IS E'@fieldName invoice\n@foreignFieldName calls\n'
    'The row of crm.invoices that crm.calls.invoice_id names.';
COMMENT ON CONSTRAINT calls_account_id_task_id_fkey ON crm.calls IS E'@fieldName task\n@foreignFieldName calls\n'
    'The row of crm.call_tasks that crm.calls.task_id names.';
COMMENT ON CONSTRAINT calls_account_id_template_id_fkey ON crm.calls IS E'@fieldName template\n@foreignFieldName calls\n'
    'The row of crm.message_templates that crm.calls.template_id names.';
COMMENT ON CONSTRAINT campaigns_account_id_fkey ON crm.campaigns IS E'@fieldName account\n@foreignFieldName campaigns\n'
    'The row of crm.accounts that crm.campaigns.account_id names.';
COMMENT ON CONSTRAINT client_channels_account_id_client_id_fkey ON crm.client_channels IS E'@fieldName client\n@foreignFieldName clientChannels\n'
    'The row of crm.clients that crm.client_channels.client_id names.';
COMMENT ON CONSTRAINT client_channels_account_id_fkey ON crm.client_channels IS E'@fieldName account\n@foreignFieldName clientChannels\n'
    'The row of crm.accounts that crm.client_channels.account_id names.';
COMMENT ON CONSTRAINT client_contacts_account_id_client_id_fkey ON crm.client_contacts IS E'@fieldName client\n@foreignFieldName clientContacts\n'
    'The row of crm.clients that crm.client_contacts.client_id names.';
COMMENT ON CONSTRAINT client_contacts_account_id_employee_id_fkey ON crm.client_contacts IS E'@fieldName employee\n@foreignFieldName clientContacts\n'
    'The row of crm.employees that crm.client_contacts.employee_id names.';
COMMENT ON CONSTRAINT client_contacts_account_id_fkey ON crm.client_contacts IS E'@fieldName account\n@foreignFieldName clientContacts\n'
    'The row of crm.accounts that crm.client_contacts.account_id names.';
COMMENT ON CONSTRAINT client_phones_account_id_client_id_fkey ON crm.client_phones IS E'@fieldName client\n@foreignFieldName clientPhones\n'
    'The row of crm.clients that crm.client_phones.client_id names.';
COMMENT ON CONSTRAINT client_phones_account_id_fkey ON crm.client_phones IS E'@fieldName account\n@foreignFieldName clientPhones\n'
    'The row of crm.accounts that crm.client_phones.account_id names.';
COMMENT ON CONSTRAINT clients_account_id_fkey ON crm.clients IS E'@fieldName account\n@foreignFieldName clients\n'
    'The row of crm.accounts that crm.clients.account_id names.';
COMMENT ON CONSTRAINT clients_account_id_responsible_id_fkey ON crm.clients IS E'@fieldName responsible\n@foreignFieldName clients\n'
    'The row of crm.employees that crm.clients.responsible_id names.';
COMMENT ON CONSTRAINT conversations_account_id_client_id_fkey ON crm.conversations IS E'@fieldName client\n@foreignFieldName conversations\n'
    'The row of crm.clients that crm.conversations.client_id names.';
COMMENT ON CONSTRAINT conversations_account_id_fkey ON crm.conversations IS E'@fieldName account\n@foreignFieldName conversations\n'
    'The row of crm.accounts that crm.conversations.account_id names.';
COMMENT ON CONSTRAINT due_failures_account_id_fkey ON crm.due_failures IS E'@fieldName account\n@foreignFieldName dueFailures\n'
    'The row of crm.accounts that crm.due_failures.account_id names.';
COMMENT ON CONSTRAINT employees_account_id_fkey ON crm.employees IS E'@fieldName account\n@foreignFieldName employees\n'
    'The row of crm.accounts that crm.employees.account_id names.';
COMMENT ON CONSTRAINT event_counters_account_id_fkey ON crm.event_counters IS E'@fieldName account\n@foreignFieldName eventCounters\n'
    'The row of crm.accounts that crm.event_counters.account_id names.';
COMMENT ON CONSTRAINT import_batches_account_id_employee_id_fkey ON crm.import_batches IS E'@fieldName employee\n@foreignFieldName importBatches\n'
    'The row of crm.employees that crm.import_batches.employee_id names.';
COMMENT ON CONSTRAINT import_batches_account_id_fkey ON crm.import_batches IS E'@fieldName account\n@foreignFieldName importBatches\n'
    'The row of crm.accounts that crm.import_batches.account_id names.';
COMMENT ON CONSTRAINT import_clients_account_id_fkey ON crm.import_clients IS E'@fieldName account\n@foreignFieldName importClients\n'
    'The row of crm.accounts that crm.import_clients.account_id names.';
COMMENT ON CONSTRAINT import_invoices_account_id_fkey ON crm.import_invoices IS E'@fieldName account\n@foreignFieldName importInvoices\n'
    'The row of crm.accounts that crm.import_invoices.account_id names.';
COMMENT ON CONSTRAINT import_leads_account_id_fkey ON crm.import_leads IS E'@fieldName account\n@foreignFieldName importLeads\n'
    'The row of crm.accounts that crm.import_leads.account_id names.';
COMMENT ON CONSTRAINT import_orders_account_id_fkey ON crm.import_orders IS E'@fieldName account\n@foreignFieldName importOrders\n'
    'The row of crm.accounts that crm.import_orders.account_id names.';
COMMENT ON CONSTRAINT import_payments_account_id_fkey ON crm.import_payments IS E'@fieldName account\n@foreignFieldName importPayments\n'
    'The row of crm.accounts that crm.import_payments.account_id names.';
COMMENT ON CONSTRAINT import_rejects_account_id_batch_id_fkey ON crm.import_rejects IS E'@fieldName batch\n@foreignFieldName importRejects\n'
    'The row of crm.import_batches that crm.import_rejects.batch_id names.';
COMMENT ON CONSTRAINT import_rejects_account_id_fkey ON crm.import_rejects IS E'@fieldName account\n@foreignFieldName importRejects\n'
    'The row of crm.accounts that crm.import_rejects.account_id names.';
COMMENT ON CONSTRAINT invoice_events_account_id_invoice_id_fkey ON crm.invoice_events IS E'@fieldName invoice\n@foreignFieldName invoiceEvents\n'
    'The row of crm.invoices that crm.invoice_events.invoice_id names.';
COMMENT ON CONSTRAINT invoice_items_account_id_fkey ON crm.invoice_items IS E'@fieldName account\n@foreignFieldName invoiceItems\n'
    'The row of crm.accounts that crm.invoice_items.account_id names.';
COMMENT ON CONSTRAINT invoice_items_account_id_invoice_id_fkey ON crm.invoice_items IS E'@fieldName invoice\n@foreignFieldName invoiceItems\n'
    'The row of crm.invoices that crm.invoice_items.invoice_id names.';
COMMENT ON CONSTRAINT invoice_items_account_id_offer_id_fkey ON crm.invoice_items IS E'@fieldName offer\n@foreignFieldName invoiceItems\n'
    'The row of crm.offers that crm.invoice_items.offer_id names.';
COMMENT ON CONSTRAINT invoices_account_id_client_id_fkey ON crm.invoices IS E'@fieldName client\n@foreignFieldName invoices\n'
    'The row of crm.clients that crm.invoices.client_id names.';
COMMENT ON CONSTRAINT invoices_account_id_fkey ON crm.invoices IS E'@fieldName account\n@foreignFieldName invoices\n'
    'The row of crm.accounts that crm.invoices.account_id names.';
COMMENT ON CONSTRAINT invoices_account_id_manager_id_fkey ON crm.invoices IS E'@fieldName manager\n@foreignFieldName invoices\n'
    'The row of crm.employees that crm.invoices.manager_id names.';
COMMENT ON CONSTRAINT lead_counts_account_id_fkey ON crm.lead_counts IS E'@fieldName account\n@foreignFieldName leadCounts\n'
    'The row of crm.accounts that crm.lead_counts.account_id names.';
COMMENT ON CONSTRAINT lead_types_account_id_fkey ON crm.lead_types IS E'@fieldName account\n@foreignFieldName leadTypes\n'
    'The row of crm.accounts that crm.lead_types.account_id names.';
COMMENT ON CONSTRAINT lead_types_account_id_initial_status_id_fkey ON crm.lead_types IS E'@fieldName initialStatus\n@foreignFieldName leadTypes\n'
    'The row of crm.statuses that crm.lead_types.initial_status_id names.';
COMMENT ON CONSTRAINT leads_account_id_campaign_id_fkey ON crm.leads IS E'@fieldName campaign\n@foreignFieldName leads\n'
    'The row of crm.campaigns that crm.leads.campaign_id names.';
COMMENT ON CONSTRAINT leads_account_id_client_id_fkey ON crm.leads IS E'@fieldName client\n@foreignFieldName leads\n'
    'The row of crm.clients that crm.leads.client_id names.';
COMMENT ON CONSTRAINT leads_account_id_location_id_fkey ON crm.leads IS E'@fieldName location\n@foreignFieldName leads\n'
    'The row of crm.locations that crm.leads.location_id names.';
COMMENT ON CONSTRAINT leads_account_id_manager_id_fkey ON crm.leads IS E'@fieldName manager\n@foreignFieldName leads\n'
    'The row of crm.employees that crm.leads.manager_id names.';
COMMENT ON CONSTRAINT leads_account_id_status_id_fkey ON crm.leads IS E'@fieldName status\n@foreignFieldName leads\n'
    'The row of crm.statuses that crm.leads.status_id names.';
COMMENT ON CONSTRAINT leads_account_id_type_id_fkey ON crm.leads IS E'@fieldName type\n@foreignFieldName leads\n'
    'The row of crm.lead_types that crm.leads.type_id names.';
COMMENT ON CONSTRAINT locations_account_id_fkey ON crm.locations IS E'@fieldName account\n@foreignFieldName locations\n'
    'The row of crm.accounts that crm.locations.account_id names.';
COMMENT ON CONSTRAINT message_templates_account_id_fkey ON crm.message_templates IS E'@fieldName account\n@foreignFieldName messageTemplates\n'
    'The row of crm.accounts that crm.message_templates.account_id names.';
COMMENT ON CONSTRAINT messages_account_id_conversation_id_fkey ON crm.messages IS E'@fieldName conversation\n@foreignFieldName messages\n'
    'The row of crm.conversations that crm.messages.conversation_id names.';
COMMENT ON CONSTRAINT messages_account_id_employee_id_fkey ON crm.messages IS E'@fieldName employee\n@foreignFieldName messages\n'
    'The row of crm.employees that crm.messages.employee_id names.';
COMMENT ON CONSTRAINT messages_account_id_fkey ON crm.messages IS E'@fieldName account\n@foreignFieldName messages\n'
    'The row of crm.accounts that crm.messages.account_id names.';
COMMENT ON CONSTRAINT number_sequences_account_id_fkey ON crm.number_sequences IS E'@fieldName account\n@foreignFieldName numberSequences\n'
    'The row of crm.accounts that crm.number_sequences.account_id names.';
COMMENT ON CONSTRAINT offers_account_id_fkey ON crm.offers IS E'@fieldName account\n@foreignFieldName offers\n'
    'The row of crm.accounts that crm.offers.account_id names.';
COMMENT ON CONSTRAINT orders_account_id_client_id_fkey ON crm.orders IS E'@fieldName client\n@foreignFieldName orders\n'
    'The row of crm.clients that crm.orders.client_id names.';
COMMENT ON CONSTRAINT orders_account_id_fkey ON crm.orders IS E'@fieldName account\n@foreignFieldName orders\n'
    'The row of crm.accounts that crm.orders.account_id names.';
COMMENT ON CONSTRAINT orders_account_id_lead_id_fkey ON crm.orders IS E'@fieldName lead\n@foreignFieldName orders\n'
    'The row of crm.leads that crm.orders.lead_id names.';
COMMENT ON CONSTRAINT outbox_account_id_fkey ON crm.outbox IS E'@fieldName account\n@foreignFieldName outbox\n'
    'The row of crm.accounts that crm.outbox.account_id names.';
COMMENT ON CONSTRAINT payments_account_id_invoice_id_fkey ON crm.payments IS E'@fieldName invoice\n@foreignFieldName payments\n'
    'The row of crm.invoices that crm.payments.invoice_id names.';
COMMENT ON CONSTRAINT status_transitions_account_id_fkey ON crm.status_transitions IS E'@fieldName account\n@foreignFieldName statusTransitions\n'
    'The row of crm.accounts that crm.status_transitions.account_id names.';
COMMENT ON CONSTRAINT status_transitions_account_id_from_status_id_fkey ON crm.status_transitions IS E'@fieldName fromStatus\n@foreignFieldName statusTransitionsByFromStatus\n'
    'The row of crm.statuses that crm.status_transitions.from_status_id names.';
COMMENT ON CONSTRAINT status_transitions_account_id_lead_type_id_fkey ON crm.status_transitions IS E'@fieldName leadType\n@foreignFieldName statusTransitions\n'
    'The row of crm.lead_types that crm.status_transitions.lead_type_id names.';
COMMENT ON CONSTRAINT status_transitions_account_id_to_status_id_fkey ON crm.status_transitions IS E'@fieldName toStatus\n@foreignFieldName statusTransitionsByToStatus\n'
    'The row of crm.statuses that crm.status_transitions.to_status_id names.';
COMMENT ON CONSTRAINT statuses_account_id_fkey ON crm.statuses IS E'@fieldName account\n@foreignFieldName statuses\n'
    'The row of crm.accounts that crm.statuses.account_id names.';
