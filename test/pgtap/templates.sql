BEGIN;
SELECT plan(15);

SELECT crm_test.company('Templates Co') AS a \gset
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SET LOCAL timezone = 'UTC';
INSERT INTO crm.clients (name, email, responsible_id, attrs)
VALUES ('Иван "Ваня" O''Brien {$email}', 'ivan@example.com', crm_test.id('employees', :a, 'Anna'),
        '{"city": "Москва", "code": "{$name}"}') RETURNING id AS c \gset
UPDATE crm.accounts SET invoice_number_template = 'INV-{N}';
INSERT INTO crm.invoices (client_id, amount, manager_id)
VALUES (:c, 1234.50, crm_test.id('employees', :a, 'Boris')) RETURNING id AS i, number AS inv_number \gset

SELECT is(crm.render_template('Здравствуйте, {$name}!', :c),
          'Здравствуйте, Иван "Ваня" O''Brien {$email}!', 'a value containing {$...} and quotes is not expanded again');
SELECT is(crm.render_template('{$email} / {$manager_name}', :c),
          'ivan@example.com / Anna', 'email and the client''s responsible manager');
SELECT is(crm.render_template('Счёт {$invoice_number} на {$amount} ({$manager_name})', :c, :i),
          'Счёт INV-1 на 1234.50 (Boris)', 'invoice number, amount and the invoice''s manager');
SELECT is(crm.render_template('{$attrs.city}|{$attrs.code}|{$attrs.missing}|{$phone}', :c),
          'Москва|{$name}||', 'attributes (value with {$...} kept), missing values empty');
SELECT is(crm.render_template('no variables { $ } {x} $', :c), 'no variables { $ } {x} $', 'text without variables unchanged');
SELECT throws_ok($$SELECT crm.render_template('Hi {$nmae}', $$ || :c || $$)$$, '22023',
          'unknown variable "{$nmae}" in template text', 'unknown variable refused at render');

INSERT INTO crm.message_templates (name, subject, body)
VALUES ('Reminder', 'Счёт {$invoice_number}', 'Dear {$name}, please pay {$amount}.') RETURNING id AS tpl \gset
SELECT pass('a template with known variables saves');
SELECT throws_ok($$INSERT INTO crm.message_templates (name, body) VALUES ('Bad', 'Hi {$first_name}')$$, '22023',
          'unknown variable "{$first_name}" in template body', 'unknown variable refused at save time');
SELECT throws_ok($$UPDATE crm.message_templates SET subject = 'Re {$name' WHERE name = 'Reminder'$$, '22023',
          NULL, 'unterminated variable refused at save time');
RESET ROLE;

-- An outcome with a template queues the email as the operator.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT (crm.log_call(invoice_id => :i, outcome => 'talked', called_at => '2026-03-02 10:00:00+00',
                    template_id => :tpl, copy_to_manager => true)).id AS k \gset
RESET ROLE;
SELECT is((SELECT recipient || '|' || cc || '|' || subject FROM crm.outbox WHERE dedup_key = 'call:' || :k),
          'ivan@example.com|boris@example.com|Счёт INV-1', 'rendered email to the client, manager in cc');
SELECT is((SELECT body FROM crm.outbox WHERE dedup_key = 'call:' || :k),
          'Dear Иван "Ваня" O''Brien {$email}, please pay 1234.50.', 'body rendered');
SELECT is((SELECT payload FROM crm.outbox WHERE dedup_key = 'call:' || :k),
          jsonb_build_object('event', 'call_template', 'call_id', :k, 'template_id', :tpl, 'client_id', :c, 'invoice_id', :i),
          'its payload names the call, template, client and invoice as JSON numbers');
SELECT is((SELECT count(*)::int FROM crm.outbox WHERE account_id = :a), 1, 'one email per call');
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT (crm.log_call(invoice_id => :i, outcome => 'no_answer', called_at => '2026-03-02 11:00:00+00', template_id => :tpl)).id AS k2 \gset
RESET ROLE;
SELECT is((SELECT cc FROM crm.outbox WHERE dedup_key = 'call:' || :k2), NULL, 'no cc unless asked');
SELECT is((SELECT employee_id FROM crm.calls WHERE id = :k2), crm_test.id('employees', :a, 'Anna'), 'the call records the operator');

SELECT * FROM finish();
ROLLBACK;
