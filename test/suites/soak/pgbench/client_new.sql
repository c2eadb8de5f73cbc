-- A new client with a phone from the pool and a conversation.
\set a random(1, :accounts)
\set e random(1, 3)
\set p random(10, 49)
SELECT crm_soak.attempt('client_new', :a, :e,
  $$INSERT INTO crm.clients (name, email, city) VALUES ('Soak client :p', 'soak:p@example.com', 'Москва') RETURNING id$$,
  $$INSERT INTO crm.client_phones (client_id, raw) VALUES ($1::bigint, '+7 916 700-00-:p') RETURNING client_id$$,
  $$INSERT INTO crm.conversations (client_id) VALUES ($1::bigint) RETURNING id$$);
