PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE migrations (
	name TEXT NOT NULL, 
	applied_at BIGINT NOT NULL, 
	PRIMARY KEY (name)
);
INSERT INTO migrations VALUES('0001_records',1796518119147926);
INSERT INTO migrations VALUES('0002_state',1796518119154839);
INSERT INTO migrations VALUES('0003_ledger',1796518119156443);
CREATE TABLE records (
	seq INTEGER NOT NULL, 
	id TEXT NOT NULL, 
	subject TEXT NOT NULL, 
	category TEXT NOT NULL, 
	occurred_at BIGINT NOT NULL, 
	recorded_at BIGINT NOT NULL, 
	source TEXT NOT NULL, 
	legal_basis TEXT NOT NULL, 
	evidence TEXT NOT NULL, 
	amount FLOAT, 
	severity TEXT, 
	status TEXT NOT NULL, 
	refers_to TEXT, 
	details TEXT NOT NULL, 
	content_hash TEXT NOT NULL, 
	ingested_at BIGINT NOT NULL, 
	PRIMARY KEY (seq), 
	UNIQUE (id)
);
INSERT INTO records VALUES(1,'old-1','11010519491231002X','traffic.violation',1704067200000000,1704153600000000,'traffic-police','Road Traffic Safety Law art. 90','ticket-1',NULL,NULL,'active',NULL,'{}','48aff3fa8b4e1fdec795cafe382fe166da6d9ec129040f5c3b1c3176c52e6415',1796518119171367);
INSERT INTO records VALUES(2,'old-2','91110000600037341L','tax.arrears',1704067200000000,1704153600000000,'traffic-police','Road Traffic Safety Law art. 90','ticket-2',5000.0,NULL,'active',NULL,'{}','f592b1063446f4a2fc64535337b878131c194a20ad36d21b7c70f12a4bfe966b',1796518119171367);
INSERT INTO records VALUES(3,'old-3','11010519491231002X','traffic.violation',1704067200000000,1704240000000000,'traffic-police','Road Traffic Safety Law art. 90','ticket-3',100.0,NULL,'correction','old-1','{}','a0143a8aa16c533e28f4fd111675df82a4a4a91a2bbed0db6e06da7442fa6bcb',1796518119172524);
INSERT INTO records VALUES(4,'old-4','11010519491231002X','traffic.violation',1704067200000000,1704153600000000,'traffic-police','Road Traffic Safety Law art. 90','ticket-4',NULL,NULL,'active',NULL,'{}','0a7be9e5ee6519178afa49899394426b9569afcc1a13cfa0ce8ed5913c86c2ea',1796518119172524);
CREATE TABLE state_mark (
	id INTEGER NOT NULL, 
	seq BIGINT NOT NULL, 
	fingerprint TEXT NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO state_mark VALUES(1,4,'fa1581cfb93ad38145f6e6ee0a72f3933a18ba1643e748cf66f31743fc2387d1');
CREATE TABLE state_subjects (
	subject TEXT NOT NULL, 
	as_of BIGINT NOT NULL, 
	valid_until BIGINT, 
	seq BIGINT NOT NULL, 
	refused TEXT NOT NULL, 
	PRIMARY KEY (subject)
);
INSERT INTO state_subjects VALUES('11010519491231002X',1796518119232515,NULL,4,'[]');
INSERT INTO state_subjects VALUES('91110000600037341L',1796518119232515,1861920000000000,2,'[]');
CREATE TABLE state_schemes (
	subject TEXT NOT NULL, 
	scheme TEXT NOT NULL, 
	score BIGINT, 
	grade TEXT, 
	result TEXT NOT NULL, 
	entries TEXT NOT NULL, 
	PRIMARY KEY (subject, scheme)
);
INSERT INTO state_schemes VALUES('11010519491231002X','honest-shanghai',NULL,'no comment','{"subject":"11010519491231002X","scheme":"honest-shanghai","kind":"tiers","scheme_version":"2026-04-01","score":null,"grade":"no comment","explanation":{"base":null,"counted":[],"adjustments":[],"factors":[],"grade_decided_by":{"tier":"no comment","negatives":0,"positives":0,"rule":"default: no tier condition held"},"not_counted":[{"record_id":"old-1","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2023-05-01 (it may still act through an override or a list)"},{"record_id":"old-4","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2023-05-01 (it may still act through an override or a list)"}]},"unverified_parameters":["versions[0].rules[0].points","versions[0].rules[1].points","versions[0].rules[2].points","versions[0].rules[3].points","versions[0].rules[4].points","versions[0].rules[5].points","versions[0].rules[6].points","versions[0].rules[7].points","versions[0].rules[8].points","versions[1].rules[0].points","versions[1].rules[1].points","versions[1].rules[2].points","versions[1].rules[3].points","versions[1].rules[4].points","versions[1].rules[5].points","versions[1].rules[6].points","versions[1].rules[7].points"]}','[]');
INSERT INTO state_schemes VALUES('11010519491231002X','rongcheng',1000,'A','{"subject":"11010519491231002X","scheme":"rongcheng","kind":"points","scheme_version":"2014-01-01","score":1000,"grade":"A","explanation":{"base":1000,"counted":[],"adjustments":[],"factors":[],"grade_decided_by":{"band":{"grade":"A","min":960,"confidence":"U"}},"not_counted":[{"record_id":"old-1","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"A traffic ticket (a traffic violation decided by the traffic police) costs 5 points. It counts for one year from the violation (the one-year validity is unverified).","legal_basis":"Rongcheng Municipal Measures on the Management of Members of Society''s Credit Points and Credit Assessments, points catalogue (traffic safety items; article not verified)","record_basis":"Road Traffic Safety Law art. 90","expires_at":"2025-01-01T00:00:00Z","rule_version":"2014-01-01","note":"stopped counting on 2025-01-01T00:00:00Z"},{"record_id":"old-4","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"A traffic ticket (a traffic violation decided by the traffic police) costs 5 points. It counts for one year from the violation (the one-year validity is unverified).","legal_basis":"Rongcheng Municipal Measures on the Management of Members of Society''s Credit Points and Credit Assessments, points catalogue (traffic safety items; article not verified)","record_basis":"Road Traffic Safety Law art. 90","expires_at":"2025-01-01T00:00:00Z","rule_version":"2014-01-01","note":"stopped counting on 2025-01-01T00:00:00Z"}]},"unverified_parameters":["versions[0].rules[2].points","versions[0].rules[2].cap","versions[0].rules[3].points","versions[0].rules[4].points","versions[0].rules[4].cap","versions[0].rules[5].points","versions[0].rules[6].points","versions[0].rules[7].points","versions[0].rules[8].points","versions[0].rules[9].points","versions[0].rules[10].points","versions[0].rules[11].points","versions[0].bands[1].min","versions[0].bands[2].min","versions[0].bands[3].min","versions[0].bands[4].min"]}','[]');
INSERT INTO state_schemes VALUES('11010519491231002X','sesame',590,'medium','{"subject":"11010519491231002X","scheme":"sesame","kind":"scorecard","scheme_version":"2015-01-28","score":590,"grade":"medium","explanation":{"base":null,"counted":[],"adjustments":[],"factors":[{"id":"credit_history","title":"Credit history","weight":35,"base":400,"points":0,"value":400,"excluded_reason":null},{"id":"behaviour","title":"Behaviour and preferences","weight":25,"base":400,"points":0,"value":400,"excluded_reason":null},{"id":"ability","title":"Ability to fulfil obligations","weight":20,"base":400,"points":0,"value":400,"excluded_reason":null},{"id":"identity","title":"Identity characteristics","weight":15,"base":400,"points":0,"value":400,"excluded_reason":null},{"id":"relationships","title":"Interpersonal relationships","weight":0,"base":0,"points":0,"value":0,"excluded_reason":"Excluded by policy: a person''s score depends only on records about that person''s own conduct, never on the conduct or scores of their contacts."}],"grade_decided_by":{"band":{"grade":"medium","min":550,"confidence":"S"}},"not_counted":[{"record_id":"old-1","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2015-01-28 (it may still act through an override or a list)"},{"record_id":"old-4","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2015-01-28 (it may still act through an override or a list)"}]},"unverified_parameters":["versions[0].rules[0].points","versions[0].rules[0].cap","versions[0].rules[1].points","versions[0].rules[2].points","versions[0].rules[3].points","versions[0].rules[4].points","versions[0].rules[5].points","versions[0].rules[5].cap","versions[0].factors[0].weight","versions[0].factors[0].base","versions[0].factors[1].weight","versions[0].factors[1].base","versions[0].factors[2].weight","versions[0].factors[2].base","versions[0].factors[3].weight","versions[0].factors[3].base","versions[0].factors[4].weight"]}','[]');
INSERT INTO state_schemes VALUES('11010519491231002X','shenzhen-traffic',0,'clear','{"subject":"11010519491231002X","scheme":"shenzhen-traffic","kind":"points","scheme_version":"2017-01-01","score":0,"grade":"clear","explanation":{"base":0,"counted":[],"adjustments":[],"factors":[],"grade_decided_by":{"band":{"grade":"clear","min":0,"confidence":"U"}},"not_counted":[{"record_id":"old-1","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"A traffic violation by a driver, decided by the traffic police, counts one point for one year.","legal_basis":"Road Traffic Safety Law of the PRC; Shenzhen traffic-conduct credit rules (article not verified)","record_basis":"Road Traffic Safety Law art. 90","expires_at":"2025-01-01T00:00:00Z","rule_version":"2017-01-01","note":"stopped counting on 2025-01-01T00:00:00Z"},{"record_id":"old-4","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"A traffic violation by a driver, decided by the traffic police, counts one point for one year.","legal_basis":"Road Traffic Safety Law of the PRC; Shenzhen traffic-conduct credit rules (article not verified)","record_basis":"Road Traffic Safety Law art. 90","expires_at":"2025-01-01T00:00:00Z","rule_version":"2017-01-01","note":"stopped counting on 2025-01-01T00:00:00Z"}]},"unverified_parameters":["versions[0].rules[0].points","versions[0].rules[1].points","versions[0].rules[2].points","versions[0].lists[0].entries[0].count","versions[0].bands[0].min","versions[0].bands[1].min","versions[0].base"]}','[]');
INSERT INTO state_schemes VALUES('11010519491231002X','spc-defaulters',NULL,NULL,'{"subject":"11010519491231002X","scheme":"spc-defaulters","kind":"lists","scheme_version":"2017-05-01","score":null,"grade":null,"explanation":{"base":null,"counted":[],"adjustments":[],"factors":[],"grade_decided_by":{},"not_counted":[{"record_id":"old-1","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2017-05-01 (it may still act through an override or a list)"},{"record_id":"old-4","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2017-05-01 (it may still act through an override or a list)"}]},"unverified_parameters":[]}','[]');
INSERT INTO state_schemes VALUES('11010519491231002X','suining-2010',1000,'A','{"subject":"11010519491231002X","scheme":"suining-2010","kind":"points","scheme_version":"2010-01-01","score":1000,"grade":"A","explanation":{"base":1000,"counted":[],"adjustments":[],"factors":[],"grade_decided_by":{"band":{"grade":"A","min":970,"confidence":"U"}},"not_counted":[{"record_id":"old-1","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"A traffic violation decided by the traffic police costs 5 points for one year (value and validity unverified).","legal_basis":"Suining County Measures on the Administration of Mass Credit Information (2010), deductions for traffic offences (article not verified)","record_basis":"Road Traffic Safety Law art. 90","expires_at":"2025-01-01T00:00:00Z","rule_version":"2010-01-01","note":"stopped counting on 2025-01-01T00:00:00Z"},{"record_id":"old-4","category":"traffic.violation","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"A traffic violation decided by the traffic police costs 5 points for one year (value and validity unverified).","legal_basis":"Suining County Measures on the Administration of Mass Credit Information (2010), deductions for traffic offences (article not verified)","record_basis":"Road Traffic Safety Law art. 90","expires_at":"2025-01-01T00:00:00Z","rule_version":"2010-01-01","note":"stopped counting on 2025-01-01T00:00:00Z"}]},"unverified_parameters":["versions[0].rules[1].points","versions[0].rules[2].points","versions[0].rules[3].points","versions[0].rules[4].points","versions[0].rules[5].points","versions[0].rules[6].points","versions[0].bands[0].min","versions[0].bands[1].min","versions[0].bands[2].min"]}','[]');
INSERT INTO state_schemes VALUES('91110000600037341L','honest-shanghai',NULL,'bad','{"subject":"91110000600037341L","scheme":"honest-shanghai","kind":"tiers","scheme_version":"2026-04-01","score":null,"grade":"bad","explanation":{"base":null,"counted":[{"record_id":"old-2","category":"tax.arrears","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":-1,"rule":"Tax arrears established by the tax bureau are negative information for five years.","legal_basis":"Shanghai local practice: negative credit information can be queried for 5 years; arrears: Tax Collection Administration Law","record_basis":"Road Traffic Safety Law art. 90","expires_at":"2029-01-01T00:00:00Z","rule_version":"2023-05-01"}],"adjustments":[],"factors":[],"grade_decided_by":{"tier":"bad","negatives":1,"positives":0,"rule":"At least one negative record still counts (construction unverified)."},"not_counted":[]},"unverified_parameters":["versions[0].rules[0].points","versions[0].rules[1].points","versions[0].rules[2].points","versions[0].rules[3].points","versions[0].rules[4].points","versions[0].rules[5].points","versions[0].rules[6].points","versions[0].rules[7].points","versions[0].rules[8].points","versions[1].rules[0].points","versions[1].rules[1].points","versions[1].rules[2].points","versions[1].rules[3].points","versions[1].rules[4].points","versions[1].rules[5].points","versions[1].rules[6].points","versions[1].rules[7].points"]}','[]');
INSERT INTO state_schemes VALUES('91110000600037341L','rongcheng',1000,'A','{"subject":"91110000600037341L","scheme":"rongcheng","kind":"points","scheme_version":"2014-01-01","score":1000,"grade":"A","explanation":{"base":1000,"counted":[],"adjustments":[],"factors":[],"grade_decided_by":{"band":{"grade":"A","min":960,"confidence":"U"}},"not_counted":[{"record_id":"old-2","category":"tax.arrears","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"Tax arrears established by the tax bureau cost 20 points for two years (value and validity unverified).","legal_basis":"Rongcheng Municipal Measures on the Management of Members of Society''s Credit Points and Credit Assessments, points catalogue (taxation; item not verified)","record_basis":"Road Traffic Safety Law art. 90","expires_at":"2026-01-01T00:00:00Z","rule_version":"2014-01-01","note":"stopped counting on 2026-01-01T00:00:00Z"}]},"unverified_parameters":["versions[0].rules[2].points","versions[0].rules[2].cap","versions[0].rules[3].points","versions[0].rules[4].points","versions[0].rules[4].cap","versions[0].rules[5].points","versions[0].rules[6].points","versions[0].rules[7].points","versions[0].rules[8].points","versions[0].rules[9].points","versions[0].rules[10].points","versions[0].rules[11].points","versions[0].bands[1].min","versions[0].bands[2].min","versions[0].bands[3].min","versions[0].bands[4].min"]}','[]');
INSERT INTO state_schemes VALUES('91110000600037341L','sesame',590,'medium','{"subject":"91110000600037341L","scheme":"sesame","kind":"scorecard","scheme_version":"2015-01-28","score":590,"grade":"medium","explanation":{"base":null,"counted":[],"adjustments":[],"factors":[{"id":"credit_history","title":"Credit history","weight":35,"base":400,"points":0,"value":400,"excluded_reason":null},{"id":"behaviour","title":"Behaviour and preferences","weight":25,"base":400,"points":0,"value":400,"excluded_reason":null},{"id":"ability","title":"Ability to fulfil obligations","weight":20,"base":400,"points":0,"value":400,"excluded_reason":null},{"id":"identity","title":"Identity characteristics","weight":15,"base":400,"points":0,"value":400,"excluded_reason":null},{"id":"relationships","title":"Interpersonal relationships","weight":0,"base":0,"points":0,"value":0,"excluded_reason":"Excluded by policy: a person''s score depends only on records about that person''s own conduct, never on the conduct or scores of their contacts."}],"grade_decided_by":{"band":{"grade":"medium","min":550,"confidence":"S"}},"not_counted":[{"record_id":"old-2","category":"tax.arrears","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2015-01-28 (it may still act through an override or a list)"}]},"unverified_parameters":["versions[0].rules[0].points","versions[0].rules[0].cap","versions[0].rules[1].points","versions[0].rules[2].points","versions[0].rules[3].points","versions[0].rules[4].points","versions[0].rules[5].points","versions[0].rules[5].cap","versions[0].factors[0].weight","versions[0].factors[0].base","versions[0].factors[1].weight","versions[0].factors[1].base","versions[0].factors[2].weight","versions[0].factors[2].base","versions[0].factors[3].weight","versions[0].factors[3].base","versions[0].factors[4].weight"]}','[]');
INSERT INTO state_schemes VALUES('91110000600037341L','shenzhen-traffic',0,'clear','{"subject":"91110000600037341L","scheme":"shenzhen-traffic","kind":"points","scheme_version":"2017-01-01","score":0,"grade":"clear","explanation":{"base":0,"counted":[],"adjustments":[],"factors":[],"grade_decided_by":{"band":{"grade":"clear","min":0,"confidence":"U"}},"not_counted":[{"record_id":"old-2","category":"tax.arrears","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2017-01-01 (it may still act through an override or a list)"}]},"unverified_parameters":["versions[0].rules[0].points","versions[0].rules[1].points","versions[0].rules[2].points","versions[0].lists[0].entries[0].count","versions[0].bands[0].min","versions[0].bands[1].min","versions[0].base"]}','[]');
INSERT INTO state_schemes VALUES('91110000600037341L','spc-defaulters',NULL,NULL,'{"subject":"91110000600037341L","scheme":"spc-defaulters","kind":"lists","scheme_version":"2017-05-01","score":null,"grade":null,"explanation":{"base":null,"counted":[],"adjustments":[],"factors":[],"grade_decided_by":{},"not_counted":[{"record_id":"old-2","category":"tax.arrears","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2017-05-01 (it may still act through an override or a list)"}]},"unverified_parameters":[]}','[]');
INSERT INTO state_schemes VALUES('91110000600037341L','suining-2010',1000,'A','{"subject":"91110000600037341L","scheme":"suining-2010","kind":"points","scheme_version":"2010-01-01","score":1000,"grade":"A","explanation":{"base":1000,"counted":[],"adjustments":[],"factors":[],"grade_decided_by":{"band":{"grade":"A","min":970,"confidence":"U"}},"not_counted":[{"record_id":"old-2","category":"tax.arrears","occurred_at":"2024-01-01T00:00:00Z","source":"traffic-police","points":0,"rule":"","legal_basis":"","record_basis":"Road Traffic Safety Law art. 90","expires_at":null,"rule_version":null,"note":"no points rule for this category in version 2010-01-01 (it may still act through an override or a list)"}]},"unverified_parameters":["versions[0].rules[1].points","versions[0].rules[2].points","versions[0].rules[3].points","versions[0].rules[4].points","versions[0].rules[5].points","versions[0].rules[6].points","versions[0].bands[0].min","versions[0].bands[1].min","versions[0].bands[2].min"]}','[]');
CREATE TABLE state_gates (
	subject TEXT NOT NULL, 
	gate TEXT NOT NULL, 
	decision TEXT NOT NULL, 
	answer TEXT NOT NULL, 
	PRIMARY KEY (subject, gate)
);
INSERT INTO state_gates VALUES('11010519491231002X','air.ticket','allow','{"gate":"air.ticket","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','rail.soft-sleeper','allow','{"gate":"rail.soft-sleeper","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','rail.g-train','allow','{"gate":"rail.g-train","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','rail.bullet-first-class','allow','{"gate":"rail.bullet-first-class","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','ship.cabin-second-class','allow','{"gate":"ship.cabin-second-class","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','hotel.star-rated','allow','{"gate":"hotel.star-rated","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','leisure.nightclub','allow','{"gate":"leisure.nightclub","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','leisure.golf','allow','{"gate":"leisure.golf","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','property.purchase','allow','{"gate":"property.purchase","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','property.build-renovate','allow','{"gate":"property.build-renovate","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','office.high-end-rental','allow','{"gate":"office.high-end-rental","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','vehicle.purchase','allow','{"gate":"vehicle.purchase","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','travel.holiday','allow','{"gate":"travel.holiday","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','school.private-high-fee','allow','{"gate":"school.private-high-fee","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','insurance.high-premium','allow','{"gate":"insurance.high-premium","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','finance.bond-issue','allow','{"gate":"finance.bond-issue","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','subsidy.application','allow','{"gate":"subsidy.application","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','finance.executive-post','allow','{"gate":"finance.executive-post","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','procurement.bid','allow','{"gate":"procurement.bid","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','exit.outbound-tour','allow','{"gate":"exit.outbound-tour","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','deposit.bike','allow','{"gate":"deposit.bike","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','deposit.rental','allow','{"gate":"deposit.rental","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','deposit.car-hire-abroad','allow','{"gate":"deposit.car-hire-abroad","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','hospital.pay-later','allow','{"gate":"hospital.pay-later","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','utility.heating','allow','{"gate":"utility.heating","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','service.priority','allow','{"gate":"service.priority","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('11010519491231002X','loan.terms','allow','{"gate":"loan.terms","subject":"11010519491231002X","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','air.ticket','allow','{"gate":"air.ticket","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','rail.soft-sleeper','allow','{"gate":"rail.soft-sleeper","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','rail.g-train','allow','{"gate":"rail.g-train","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','rail.bullet-first-class','allow','{"gate":"rail.bullet-first-class","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','ship.cabin-second-class','allow','{"gate":"ship.cabin-second-class","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','hotel.star-rated','allow','{"gate":"hotel.star-rated","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','leisure.nightclub','allow','{"gate":"leisure.nightclub","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','leisure.golf','allow','{"gate":"leisure.golf","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','property.purchase','allow','{"gate":"property.purchase","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','property.build-renovate','allow','{"gate":"property.build-renovate","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','office.high-end-rental','allow','{"gate":"office.high-end-rental","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','vehicle.purchase','allow','{"gate":"vehicle.purchase","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','travel.holiday','allow','{"gate":"travel.holiday","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','school.private-high-fee','allow','{"gate":"school.private-high-fee","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','insurance.high-premium','allow','{"gate":"insurance.high-premium","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','finance.bond-issue','allow','{"gate":"finance.bond-issue","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','subsidy.application','allow','{"gate":"subsidy.application","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','finance.executive-post','allow','{"gate":"finance.executive-post","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','procurement.bid','allow','{"gate":"procurement.bid","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','exit.outbound-tour','allow','{"gate":"exit.outbound-tour","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','deposit.bike','allow','{"gate":"deposit.bike","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','deposit.rental','allow','{"gate":"deposit.rental","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','deposit.car-hire-abroad','allow','{"gate":"deposit.car-hire-abroad","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','hospital.pay-later','allow','{"gate":"hospital.pay-later","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','utility.heating','allow','{"gate":"utility.heating","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','service.priority','allow','{"gate":"service.priority","subject":"91110000600037341L","decision":"allow","measures":[]}');
INSERT INTO state_gates VALUES('91110000600037341L','loan.terms','allow','{"gate":"loan.terms","subject":"91110000600037341L","decision":"allow","measures":[]}');
CREATE TABLE ledger (
	position INTEGER NOT NULL, 
	seq BIGINT NOT NULL, 
	chain TEXT NOT NULL, 
	PRIMARY KEY (position)
);
INSERT INTO ledger VALUES(1,1,'5966749115e438f7b4998b42f8545dd39efe393af993f57d030b5bd53b67e36f');
INSERT INTO ledger VALUES(2,2,'8b2f67ef9b4e58b896710570c03d42903917e471d68e13ff98f2da668de5945e');
INSERT INTO ledger VALUES(3,3,'10804d913f936142ad2372148de1a708336cfc207093a9bfaab04fc62974afb1');
INSERT INTO ledger VALUES(4,4,'0ac98777356c56d9aeafa95dfc146ac976d24d3d5c601c16f7a32a736e4fae06');
CREATE TABLE checkpoints (
	position INTEGER NOT NULL, 
	since BIGINT NOT NULL, 
	head TEXT NOT NULL, 
	root TEXT NOT NULL, 
	made_at BIGINT NOT NULL, 
	public_key TEXT NOT NULL, 
	signature TEXT NOT NULL, 
	PRIMARY KEY (position)
);
INSERT INTO checkpoints VALUES(3,0,'10804d913f936142ad2372148de1a708336cfc207093a9bfaab04fc62974afb1','ba17e7e9d11bac4b51e1bbdbdb8399799d4c9fd4d3d58265f50c2699d51cb236',1796518119173677,'03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8','210ebc51302ff2c922066cf2105bd3a37b137a7e63378950004e697c39801a7e11a42edcb444b50114a6519fbdc9fe21ed00acc1ac51e5e86c3ee58e3ff4a80f');
CREATE TABLE objection_events (
	seq INTEGER NOT NULL, 
	case_id TEXT NOT NULL, 
	n INTEGER NOT NULL, 
	at BIGINT NOT NULL, 
	kind TEXT NOT NULL, 
	actor TEXT NOT NULL, 
	subject TEXT NOT NULL, 
	data TEXT NOT NULL, 
	PRIMARY KEY (seq), 
	CONSTRAINT uq_objection_events_case_n UNIQUE (case_id, n)
);
INSERT INTO objection_events VALUES(1,'obj-00000000000000aa',0,1709251200000000,'filed','subject','11010519491231002X','{"target": "old-1"}');
CREATE TABLE notices (
	seq INTEGER NOT NULL, 
	id TEXT NOT NULL, 
	subject TEXT NOT NULL, 
	at BIGINT NOT NULL, 
	kind TEXT NOT NULL, 
	body TEXT NOT NULL, 
	PRIMARY KEY (seq), 
	UNIQUE (id)
);
CREATE TABLE notice_marks (
	seq INTEGER NOT NULL, 
	upto BIGINT NOT NULL, 
	at BIGINT NOT NULL, 
	PRIMARY KEY (seq), 
	UNIQUE (upto)
);
INSERT INTO notice_marks VALUES(1,4,1796518119412585);
CREATE TABLE access_log (
	seq INTEGER NOT NULL, 
	at BIGINT NOT NULL, 
	role TEXT NOT NULL, 
	who TEXT NOT NULL, 
	whom TEXT NOT NULL, 
	why TEXT NOT NULL, 
	what TEXT NOT NULL, 
	PRIMARY KEY (seq)
);
INSERT INTO access_log VALUES(1,1796518119411246,'gate','g1','11010519491231002X','check','gate check');
CREATE TABLE access_log_by_whom (
	whom TEXT NOT NULL, 
	seq INTEGER NOT NULL, 
	PRIMARY KEY (whom, seq)
)
 WITHOUT ROWID

;
CREATE TABLE access_log_indexed (
	seq INTEGER NOT NULL, 
	upto BIGINT NOT NULL, 
	PRIMARY KEY (seq)
);
CREATE INDEX ix_records_subject_seq ON records (subject, seq);
CREATE TRIGGER records_no_update BEFORE UPDATE ON records BEGIN
    SELECT RAISE(ABORT, 'records is append-only: UPDATE refused; append a correction,
revocation or expiry record instead'); END;
CREATE TRIGGER records_no_delete BEFORE DELETE ON records BEGIN
    SELECT RAISE(ABORT, 'records is append-only: DELETE refused; append a revocation or
expiry record instead'); END;
CREATE TRIGGER records_no_replace BEFORE INSERT ON records
    WHEN EXISTS (SELECT 1 FROM records WHERE id = NEW.id)
      OR EXISTS (SELECT 1 FROM records WHERE seq = NEW.seq) BEGIN
    SELECT RAISE(ABORT, 'records is append-only: this id or seq is already stored and
is never replaced; append a correction record instead'); END;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN
        SELECT RAISE(ABORT, 'ledger is append-only: UPDATE refused'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN
        SELECT RAISE(ABORT, 'ledger is append-only: DELETE refused'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints BEGIN
        SELECT RAISE(ABORT, 'checkpoints is append-only: UPDATE refused'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints BEGIN
        SELECT RAISE(ABORT, 'checkpoints is append-only: DELETE refused'); END;
CREATE INDEX ix_objection_events_subject ON objection_events (subject);
CREATE INDEX ix_notices_subject ON notices (subject, seq);
CREATE TRIGGER objection_events_no_update BEFORE UPDATE ON objection_events BEGIN
        SELECT RAISE(ABORT, 'objection_events is append-only: UPDATE refused; append a new row instead');
        END;
CREATE TRIGGER objection_events_no_delete BEFORE DELETE ON objection_events BEGIN
        SELECT RAISE(ABORT, 'objection_events is append-only: DELETE refused; append a new row instead');
        END;
CREATE TRIGGER notices_no_update BEFORE UPDATE ON notices BEGIN
        SELECT RAISE(ABORT, 'notices is append-only: UPDATE refused; append a new row instead');
        END;
CREATE TRIGGER notices_no_delete BEFORE DELETE ON notices BEGIN
        SELECT RAISE(ABORT, 'notices is append-only: DELETE refused; append a new row instead');
        END;
CREATE TRIGGER notice_marks_no_update BEFORE UPDATE ON notice_marks BEGIN
        SELECT RAISE(ABORT, 'notice_marks is append-only: UPDATE refused; append a new row instead');
        END;
CREATE TRIGGER notice_marks_no_delete BEFORE DELETE ON notice_marks BEGIN
        SELECT RAISE(ABORT, 'notice_marks is append-only: DELETE refused; append a new row instead');
        END;
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log BEGIN
        SELECT RAISE(ABORT, 'access_log is append-only: UPDATE refused; append a new row instead');
        END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log BEGIN
        SELECT RAISE(ABORT, 'access_log is append-only: DELETE refused; append a new row instead');
        END;
CREATE TRIGGER access_log_by_whom_no_update BEFORE UPDATE ON access_log_by_whom BEGIN
        SELECT RAISE(ABORT, 'access_log_by_whom is append-only: UPDATE refused; append a new row instead');
        END;
CREATE TRIGGER access_log_by_whom_no_delete BEFORE DELETE ON access_log_by_whom BEGIN
        SELECT RAISE(ABORT, 'access_log_by_whom is append-only: DELETE refused; append a new row instead');
        END;
CREATE TRIGGER access_log_indexed_no_update BEFORE UPDATE ON access_log_indexed BEGIN
        SELECT RAISE(ABORT, 'access_log_indexed is append-only: UPDATE refused; append a new row instead');
        END;
CREATE TRIGGER access_log_indexed_no_delete BEFORE DELETE ON access_log_indexed BEGIN
        SELECT RAISE(ABORT, 'access_log_indexed is append-only: DELETE refused; append a new row instead');
        END;
COMMIT;
