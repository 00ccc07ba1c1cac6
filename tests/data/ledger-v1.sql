-- A version-1 ledger as seatbatch 0.1 (commit dfc7fb0) left it after the sample story:
-- samples acme-new (2026-03-02), acme-add and nord-new (2026-11-24). Made with sqlite3 .dump.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (
	version INTEGER NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	applied_at DATETIME NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO schema_migrations VALUES(1,'initial tables','2026-11-25 08:59:57.554090');
CREATE TABLE counters (
	series VARCHAR(16) NOT NULL, 
	year INTEGER NOT NULL, 
	last_seq INTEGER NOT NULL, 
	last_number VARCHAR(40) NOT NULL, 
	last_date DATE NOT NULL, 
	PRIMARY KEY (series, year)
);
INSERT INTO counters VALUES('INV',2026,4,'INV-2026-000004','2026-11-24');
CREATE TABLE customers (
	partner_id VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	organization VARCHAR(200) NOT NULL, 
	country VARCHAR(2), 
	contact_email VARCHAR(320), 
	PRIMARY KEY (partner_id, customer_id)
);
INSERT INTO customers VALUES('P-ACME','C-001','Harbour View Offices Ltd','GB','facilities@harbourview.example');
INSERT INTO customers VALUES('P-ACME','C-002','Riverside Primary School','GB',NULL);
INSERT INTO customers VALUES('P-NORD','N-17','Bryggen Kontorfellesskap AS','NO',NULL);
CREATE TABLE invoices (
	number VARCHAR(40) NOT NULL, 
	series VARCHAR(16) NOT NULL, 
	year INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	partner_id VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	invoice_date DATE NOT NULL, 
	due_date DATE NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	po_number VARCHAR(64), 
	total VARCHAR(40) NOT NULL, 
	run_id VARCHAR(64) NOT NULL, 
	document TEXT NOT NULL, 
	PRIMARY KEY (number), 
	UNIQUE (series, year, seq)
);
INSERT INTO invoices VALUES('INV-2026-000001','INV',2026,1,'P-ACME','C-001','order','2026-03-02','2026-04-01','EUR','PO-4471','1036.80','20261125T085957-process-P-ACME-860f33','{"bill_to": {"address": ["2 Dock Road", "London E16 1AA", "United Kingdom"], "name": "Acme Facilities Ltd", "vat_id": ""}, "currency": "EUR", "customer_id": "C-001", "customer_name": "Harbour View Offices Ltd", "due_date": "2026-04-01", "invoice_date": "2026-03-02", "issuer": {"address": ["Wergelandsveien 1", "0167 Oslo", "Norway"], "name": "Example Sensors AS", "vat_id": "NO999999999MVA"}, "kind": "order", "lines": [{"action": "new", "device_type": "Space Pro", "list_amount": "900.00", "net_amount": "648.00", "order_id": "ACME-1001", "partner_discount": "162.00", "period_end": "2029-03-01", "period_start": "2026-03-02", "prorate_days": 1096, "seats": 2, "subscription_id": "SUB-000001", "term_days": 1096, "term_discount": "90.00", "term_years": 3, "unit_price": "150.00"}, {"action": "new", "device_type": "Space Plus", "list_amount": "360.00", "net_amount": "259.20", "order_id": "ACME-1002", "partner_discount": "64.80", "period_end": "2029-03-01", "period_start": "2026-03-02", "prorate_days": 1096, "seats": 1, "subscription_id": "SUB-000001", "term_days": 1096, "term_discount": "36.00", "term_years": 3, "unit_price": "120.00"}, {"action": "new", "device_type": "Space CO2 Mini", "list_amount": "180.00", "net_amount": "129.60", "order_id": "ACME-1003", "partner_discount": "32.40", "period_end": "2029-03-01", "period_start": "2026-03-02", "prorate_days": 1096, "seats": 1, "subscription_id": "SUB-000001", "term_days": 1096, "term_discount": "18.00", "term_years": 3, "unit_price": "60.00"}], "number": "INV-2026-000001", "partner_discount_rate": "0.20", "partner_id": "P-ACME", "po_number": "PO-4471", "total": "1036.80"}');
INSERT INTO invoices VALUES('INV-2026-000002','INV',2026,2,'P-ACME','C-002','order','2026-03-02','2026-04-01','EUR','PO-4472','480.00','20261125T085957-process-P-ACME-860f33','{"bill_to": {"address": ["2 Dock Road", "London E16 1AA", "United Kingdom"], "name": "Acme Facilities Ltd", "vat_id": ""}, "currency": "EUR", "customer_id": "C-002", "customer_name": "Riverside Primary School", "due_date": "2026-04-01", "invoice_date": "2026-03-02", "issuer": {"address": ["Wergelandsveien 1", "0167 Oslo", "Norway"], "name": "Example Sensors AS", "vat_id": "NO999999999MVA"}, "kind": "order", "lines": [{"action": "new", "device_type": "Space Plus", "list_amount": "600.00", "net_amount": "480.00", "order_id": "ACME-1004", "partner_discount": "120.00", "period_end": "2027-03-01", "period_start": "2026-03-02", "prorate_days": 365, "seats": 5, "subscription_id": "SUB-000002", "term_days": 365, "term_discount": "0.00", "term_years": 1, "unit_price": "120.00"}], "number": "INV-2026-000002", "partner_discount_rate": "0.20", "partner_id": "P-ACME", "po_number": "PO-4472", "total": "480.00"}');
INSERT INTO invoices VALUES('INV-2026-000003','INV',2026,3,'P-ACME','C-001','order','2026-11-24','2026-12-24','EUR','PO-5120','1274.36','20261125T085958-process-P-ACME-44c470','{"bill_to": {"address": ["2 Dock Road", "London E16 1AA", "United Kingdom"], "name": "Acme Facilities Ltd", "vat_id": ""}, "currency": "EUR", "customer_id": "C-001", "customer_name": "Harbour View Offices Ltd", "due_date": "2026-12-24", "invoice_date": "2026-11-24", "issuer": {"address": ["Wergelandsveien 1", "0167 Oslo", "Norway"], "name": "Example Sensors AS", "vat_id": "NO999999999MVA"}, "kind": "order", "lines": [{"action": "add", "device_type": "Space Pro", "list_amount": "1361.50", "net_amount": "980.28", "order_id": "ACME-1101", "partner_discount": "245.07", "period_end": "2029-03-01", "period_start": "2026-11-24", "prorate_days": 829, "seats": 4, "subscription_id": "SUB-000001", "term_days": 1096, "term_discount": "136.15", "term_years": 3, "unit_price": "150.00"}, {"action": "add", "device_type": "Space CO2 Mini", "list_amount": "408.45", "net_amount": "294.08", "order_id": "ACME-1102", "partner_discount": "73.52", "period_end": "2029-03-01", "period_start": "2026-11-24", "prorate_days": 829, "seats": 3, "subscription_id": "SUB-000001", "term_days": 1096, "term_discount": "40.85", "term_years": 3, "unit_price": "60.00"}], "number": "INV-2026-000003", "partner_discount_rate": "0.20", "partner_id": "P-ACME", "po_number": "PO-5120", "total": "1274.36"}');
INSERT INTO invoices VALUES('INV-2026-000004','INV',2026,4,'P-NORD','N-17','order','2026-11-24','2026-12-24','NOK','NO-2026-88','29080.62','20261125T085959-process-P-NORD-01fe01','{"bill_to": {"address": ["Strandkaien 4", "5013 Bergen", "Norway"], "name": "Nordlys Bygg AS", "vat_id": ""}, "currency": "NOK", "customer_id": "N-17", "customer_name": "Bryggen Kontorfellesskap AS", "due_date": "2026-12-24", "invoice_date": "2026-11-24", "issuer": {"address": ["Wergelandsveien 1", "0167 Oslo", "Norway"], "name": "Example Sensors AS", "vat_id": "NO999999999MVA"}, "kind": "order", "lines": [{"action": "new", "device_type": "Space Pro", "list_amount": "26250.00", "net_amount": "18965.62", "order_id": "N-5001", "partner_discount": "3346.88", "period_end": "2031-10-31", "period_start": "2026-11-01", "prorate_days": 1826, "seats": 3, "subscription_id": "SUB-000003", "term_days": 1826, "term_discount": "3937.50", "term_years": 5, "unit_price": "1750.00"}, {"action": "new", "device_type": "Space CO2 Mini", "list_amount": "14000.00", "net_amount": "10115.00", "order_id": "N-5002", "partner_discount": "1785.00", "period_end": "2031-10-31", "period_start": "2026-11-01", "prorate_days": 1826, "seats": 4, "subscription_id": "SUB-000003", "term_days": 1826, "term_discount": "2100.00", "term_years": 5, "unit_price": "700.00"}], "number": "INV-2026-000004", "partner_discount_rate": "0.15", "partner_id": "P-NORD", "po_number": "NO-2026-88", "total": "29080.62"}');
CREATE TABLE partner_versions (
	partner_id VARCHAR(64) NOT NULL, 
	version INTEGER NOT NULL, 
	PRIMARY KEY (partner_id)
);
INSERT INTO partner_versions VALUES('P-ACME',2);
INSERT INTO partner_versions VALUES('P-NORD',1);
CREATE TABLE runs (
	run_id VARCHAR(64) NOT NULL, 
	command VARCHAR(16) NOT NULL, 
	partner_id VARCHAR(64), 
	as_of DATE NOT NULL, 
	input_name VARCHAR(255), 
	input_sha256 VARCHAR(64), 
	folder VARCHAR(255) NOT NULL, 
	committed_at DATETIME NOT NULL, 
	PRIMARY KEY (run_id)
);
INSERT INTO runs VALUES('20261125T085957-process-P-ACME-860f33','process','P-ACME','2026-03-02','acme-new.xlsx','cc35a320ba8a563d8e6a8e79bf959dd189eacacd38478c68376c8f2a4e0989d1','20261125T085957-process-P-ACME-860f33','2026-11-25 08:59:57.637944');
INSERT INTO runs VALUES('20261125T085958-process-P-ACME-44c470','process','P-ACME','2026-11-24','acme-add.xlsx','a7c5fe5a28d574f8f05b17bbdba407c2e00ea33b735ef45448dd764b0c73a1d3','20261125T085958-process-P-ACME-44c470','2026-11-25 08:59:58.516773');
INSERT INTO runs VALUES('20261125T085959-process-P-NORD-01fe01','process','P-NORD','2026-11-24','nord-new.xlsx','f2dfa875548a405eda962c271fc161b880a143d3f53dddc7056e57b305ab27b2','20261125T085959-process-P-NORD-01fe01','2026-11-25 08:59:59.396714');
CREATE TABLE devices (
	partner_id VARCHAR(64) NOT NULL, 
	serial_number VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	device_type VARCHAR(100) NOT NULL, 
	deployed_on DATE, 
	location VARCHAR(200), 
	PRIMARY KEY (partner_id, serial_number), 
	FOREIGN KEY(partner_id, customer_id) REFERENCES customers (partner_id, customer_id)
);
INSERT INTO devices VALUES('P-ACME','C-002-SPACEPLUS-001','C-002','Space Plus','2026-03-02','Floor 1');
INSERT INTO devices VALUES('P-ACME','C-002-SPACEPLUS-002','C-002','Space Plus','2026-03-02','Floor 2');
INSERT INTO devices VALUES('P-ACME','C-002-SPACEPLUS-003','C-002','Space Plus','2026-03-02','Floor 3');
INSERT INTO devices VALUES('P-ACME','C-002-SPACEPLUS-004','C-002','Space Plus','2026-03-02','Floor 4');
INSERT INTO devices VALUES('P-ACME','C-002-SPACEPLUS-005','C-002','Space Plus','2026-03-02','Floor 5');
INSERT INTO devices VALUES('P-ACME','C-001-SPACEPRO-001','C-001','Space Pro','2026-11-24','Floor 1');
INSERT INTO devices VALUES('P-ACME','C-001-SPACEPRO-002','C-001','Space Pro','2026-11-24','Floor 2');
INSERT INTO devices VALUES('P-ACME','C-001-SPACEPRO-003','C-001','Space Pro','2026-11-24','Floor 3');
INSERT INTO devices VALUES('P-ACME','C-001-SPACEPRO-004','C-001','Space Pro','2026-11-24','Floor 4');
INSERT INTO devices VALUES('P-ACME','C-001-SPACEPRO-005','C-001','Space Pro','2026-11-24','Floor 5');
INSERT INTO devices VALUES('P-ACME','C-001-SPACEPRO-006','C-001','Space Pro','2026-11-24','Floor 6');
INSERT INTO devices VALUES('P-ACME','C-001-SPACEPLUS-001','C-001','Space Plus','2026-11-24','Floor 1');
INSERT INTO devices VALUES('P-ACME','C-001-SPACECO2MINI-001','C-001','Space CO2 Mini','2026-11-24','Floor 1');
INSERT INTO devices VALUES('P-ACME','C-001-SPACECO2MINI-002','C-001','Space CO2 Mini','2026-11-24','Floor 2');
INSERT INTO devices VALUES('P-ACME','C-001-SPACECO2MINI-003','C-001','Space CO2 Mini','2026-11-24','Floor 3');
INSERT INTO devices VALUES('P-ACME','C-001-SPACECO2MINI-004','C-001','Space CO2 Mini','2026-11-24','Floor 4');
INSERT INTO devices VALUES('P-NORD','N-17-SPACEPRO-001','N-17','Space Pro','2026-10-28','Floor 1');
INSERT INTO devices VALUES('P-NORD','N-17-SPACEPRO-002','N-17','Space Pro','2026-10-28','Floor 2');
INSERT INTO devices VALUES('P-NORD','N-17-SPACEPRO-003','N-17','Space Pro','2026-10-28','Floor 3');
INSERT INTO devices VALUES('P-NORD','N-17-SPACECO2MINI-001','N-17','Space CO2 Mini','2026-10-28','Floor 1');
INSERT INTO devices VALUES('P-NORD','N-17-SPACECO2MINI-002','N-17','Space CO2 Mini','2026-10-28','Floor 2');
CREATE TABLE subscriptions (
	id INTEGER NOT NULL, 
	partner_id VARCHAR(64) NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	label VARCHAR(64), 
	term_years INTEGER NOT NULL, 
	start_date DATE NOT NULL, 
	po_number VARCHAR(64), 
	currency VARCHAR(3) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(partner_id, customer_id) REFERENCES customers (partner_id, customer_id)
);
INSERT INTO subscriptions VALUES(1,'P-ACME','C-001','harbour-hq',3,'2026-03-02','PO-4471','EUR');
INSERT INTO subscriptions VALUES(2,'P-ACME','C-002','school',1,'2026-03-02','PO-4472','EUR');
INSERT INTO subscriptions VALUES(3,'P-NORD','N-17','bergen',5,'2026-11-01','NO-2026-88','NOK');
CREATE TABLE invoice_lines (
	invoice_number VARCHAR(40) NOT NULL, 
	position INTEGER NOT NULL, 
	order_id VARCHAR(64), 
	subscription_id INTEGER NOT NULL, 
	device_type VARCHAR(100) NOT NULL, 
	seats INTEGER NOT NULL, 
	period_start DATE NOT NULL, 
	period_end DATE NOT NULL, 
	unit_price VARCHAR(40) NOT NULL, 
	list_amount VARCHAR(40) NOT NULL, 
	term_discount VARCHAR(40) NOT NULL, 
	partner_discount VARCHAR(40) NOT NULL, 
	net_amount VARCHAR(40) NOT NULL, 
	PRIMARY KEY (invoice_number, position), 
	FOREIGN KEY(invoice_number) REFERENCES invoices (number), 
	FOREIGN KEY(subscription_id) REFERENCES subscriptions (id)
);
INSERT INTO invoice_lines VALUES('INV-2026-000001',1,'ACME-1001',1,'Space Pro',2,'2026-03-02','2029-03-01','150.00','900.00','90.00','162.00','648.00');
INSERT INTO invoice_lines VALUES('INV-2026-000001',2,'ACME-1002',1,'Space Plus',1,'2026-03-02','2029-03-01','120.00','360.00','36.00','64.80','259.20');
INSERT INTO invoice_lines VALUES('INV-2026-000001',3,'ACME-1003',1,'Space CO2 Mini',1,'2026-03-02','2029-03-01','60.00','180.00','18.00','32.40','129.60');
INSERT INTO invoice_lines VALUES('INV-2026-000002',1,'ACME-1004',2,'Space Plus',5,'2026-03-02','2027-03-01','120.00','600.00','0.00','120.00','480.00');
INSERT INTO invoice_lines VALUES('INV-2026-000003',1,'ACME-1101',1,'Space Pro',4,'2026-11-24','2029-03-01','150.00','1361.50','136.15','245.07','980.28');
INSERT INTO invoice_lines VALUES('INV-2026-000003',2,'ACME-1102',1,'Space CO2 Mini',3,'2026-11-24','2029-03-01','60.00','408.45','40.85','73.52','294.08');
INSERT INTO invoice_lines VALUES('INV-2026-000004',1,'N-5001',3,'Space Pro',3,'2026-11-01','2031-10-31','1750.00','26250.00','3937.50','3346.88','18965.62');
INSERT INTO invoice_lines VALUES('INV-2026-000004',2,'N-5002',3,'Space CO2 Mini',4,'2026-11-01','2031-10-31','700.00','14000.00','2100.00','1785.00','10115.00');
CREATE TABLE order_lines (
	partner_id VARCHAR(64) NOT NULL, 
	order_id VARCHAR(64) NOT NULL, 
	fingerprint VARCHAR(64) NOT NULL, 
	content TEXT NOT NULL, 
	customer_id VARCHAR(64) NOT NULL, 
	label VARCHAR(64), 
	subscription_id INTEGER NOT NULL, 
	invoice_number VARCHAR(40) NOT NULL, 
	run_id VARCHAR(64) NOT NULL, 
	PRIMARY KEY (partner_id, order_id), 
	FOREIGN KEY(subscription_id) REFERENCES subscriptions (id), 
	FOREIGN KEY(invoice_number) REFERENCES invoices (number)
);
INSERT INTO order_lines VALUES('P-ACME','ACME-1001','bb5c9e5f2c475ef193fe8fddf3743b51b7e63b479766c0eba51e460adf58be3c','{"order_id": "ACME-1001", "customer_id": "C-001", "action": "new", "subscription": "harbour-hq", "device_type": "Space Pro", "seats": 2, "term_years": 3, "start_date": "2026-03-02", "po_number": "PO-4471", "separate_invoice": null, "accept_terms": true}','C-001','harbour-hq',1,'INV-2026-000001','20261125T085957-process-P-ACME-860f33');
INSERT INTO order_lines VALUES('P-ACME','ACME-1002','e42369896564cfabd3475f4a744639c6d7a380f2fdd674c903bf0746cfdf09bb','{"order_id": "ACME-1002", "customer_id": "C-001", "action": "new", "subscription": "harbour-hq", "device_type": "Space Plus", "seats": 1, "term_years": 3, "start_date": "2026-03-02", "po_number": "PO-4471", "separate_invoice": null, "accept_terms": true}','C-001','harbour-hq',1,'INV-2026-000001','20261125T085957-process-P-ACME-860f33');
INSERT INTO order_lines VALUES('P-ACME','ACME-1003','2c6b227ea7544de2f4e4081e83acdbbc0a245072aa2107a627ff292077a58a23','{"order_id": "ACME-1003", "customer_id": "C-001", "action": "new", "subscription": "harbour-hq", "device_type": "Space CO2 Mini", "seats": 1, "term_years": 3, "start_date": "2026-03-02", "po_number": "PO-4471", "separate_invoice": null, "accept_terms": true}','C-001','harbour-hq',1,'INV-2026-000001','20261125T085957-process-P-ACME-860f33');
INSERT INTO order_lines VALUES('P-ACME','ACME-1004','2dd86516281495eabe01e32566d59b37c24cce0a4515a49ae1e0b0d67ebe7978','{"order_id": "ACME-1004", "customer_id": "C-002", "action": "new", "subscription": "school", "device_type": "Space Plus", "seats": 5, "term_years": 1, "start_date": "2026-03-02", "po_number": "PO-4472", "separate_invoice": true, "accept_terms": true}','C-002','school',2,'INV-2026-000002','20261125T085957-process-P-ACME-860f33');
INSERT INTO order_lines VALUES('P-ACME','ACME-1101','eaa1001bc72afa254135d5f9a7d508f4a582bfacd8bc5a4035b448341ca38100','{"order_id": "ACME-1101", "customer_id": "C-001", "action": "add", "subscription": "SUB-000001", "device_type": "Space Pro", "seats": 4, "term_years": null, "start_date": "2026-11-24", "po_number": "PO-5120", "separate_invoice": null, "accept_terms": true}','C-001',NULL,1,'INV-2026-000003','20261125T085958-process-P-ACME-44c470');
INSERT INTO order_lines VALUES('P-ACME','ACME-1102','1fc1be8100311a7a2dddc81c5680c22d159bafc710f0e40f5cb076d0ef109fa1','{"order_id": "ACME-1102", "customer_id": "C-001", "action": "add", "subscription": "SUB-000001", "device_type": "Space CO2 Mini", "seats": 3, "term_years": null, "start_date": "2026-11-24", "po_number": "PO-5120", "separate_invoice": null, "accept_terms": true}','C-001',NULL,1,'INV-2026-000003','20261125T085958-process-P-ACME-44c470');
INSERT INTO order_lines VALUES('P-NORD','N-5001','97a31bb3b6de4ea983855899f572178f851287eb75a65ef02cb8e018fd82760e','{"order_id": "N-5001", "customer_id": "N-17", "action": "new", "subscription": "bergen", "device_type": "Space Pro", "seats": 3, "term_years": 5, "start_date": "2026-11-01", "po_number": "NO-2026-88", "separate_invoice": null, "accept_terms": true}','N-17','bergen',3,'INV-2026-000004','20261125T085959-process-P-NORD-01fe01');
INSERT INTO order_lines VALUES('P-NORD','N-5002','83854693f437f1a2521720a8bfb2cd5eef04e0d6ec8c96d3774345be4ba588a7','{"order_id": "N-5002", "customer_id": "N-17", "action": "new", "subscription": "bergen", "device_type": "Space CO2 Mini", "seats": 4, "term_years": 5, "start_date": "2026-11-01", "po_number": "NO-2026-88", "separate_invoice": null, "accept_terms": true}','N-17','bergen',3,'INV-2026-000004','20261125T085959-process-P-NORD-01fe01');
CREATE TABLE seats (
	id INTEGER NOT NULL, 
	subscription_id INTEGER NOT NULL, 
	device_type VARCHAR(100) NOT NULL, 
	seats INTEGER NOT NULL, 
	effective_date DATE NOT NULL, 
	order_id VARCHAR(64), 
	PRIMARY KEY (id), 
	FOREIGN KEY(subscription_id) REFERENCES subscriptions (id)
);
INSERT INTO seats VALUES(1,1,'Space Pro',2,'2026-03-02','ACME-1001');
INSERT INTO seats VALUES(2,1,'Space Plus',1,'2026-03-02','ACME-1002');
INSERT INTO seats VALUES(3,1,'Space CO2 Mini',1,'2026-03-02','ACME-1003');
INSERT INTO seats VALUES(4,2,'Space Plus',5,'2026-03-02','ACME-1004');
INSERT INTO seats VALUES(5,1,'Space Pro',4,'2026-11-24','ACME-1101');
INSERT INTO seats VALUES(6,1,'Space CO2 Mini',3,'2026-11-24','ACME-1102');
INSERT INTO seats VALUES(7,3,'Space Pro',3,'2026-11-01','N-5001');
INSERT INTO seats VALUES(8,3,'Space CO2 Mini',4,'2026-11-01','N-5002');
CREATE TABLE subscription_terms (
	subscription_id INTEGER NOT NULL, 
	term_index INTEGER NOT NULL, 
	start_date DATE NOT NULL, 
	end_date DATE NOT NULL, 
	invoice_number VARCHAR(40), 
	PRIMARY KEY (subscription_id, term_index), 
	FOREIGN KEY(subscription_id) REFERENCES subscriptions (id), 
	FOREIGN KEY(invoice_number) REFERENCES invoices (number)
);
INSERT INTO subscription_terms VALUES(1,0,'2026-03-02','2029-03-02','INV-2026-000001');
INSERT INTO subscription_terms VALUES(2,0,'2026-03-02','2027-03-02','INV-2026-000002');
INSERT INTO subscription_terms VALUES(3,0,'2026-11-01','2031-11-01','INV-2026-000004');
CREATE INDEX ix_invoices_partner_id ON invoices (partner_id);
CREATE INDEX ix_subscriptions_partner_id ON subscriptions (partner_id);
CREATE INDEX ix_seats_subscription_id ON seats (subscription_id);
COMMIT;
