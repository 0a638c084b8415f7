#!/usr/bin/env python3
"""Seeds a migrated cancelflow SQLite file for the HTTP load scripts: the user
`loader` and N active demo-instant subscriptions sub_load_1 … sub_load_N, in one
transaction.   python3 bench/seed_subscriptions.py DB_FILE N"""
import sqlite3
import sys
import time

db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
now = int(time.time() * 1000)
db.execute("INSERT INTO users(id, email, role, created_at) VALUES ('loader', 'loader@example.com', 'user', ?)", (now,))
db.executemany("INSERT INTO subscriptions(id, user_id, provider, external_id, name, status, created_at, updated_at)"
               " VALUES (?, 'loader', 'demo-instant', ?, 'Load', 'active', ?, ?)",
               ((f"sub_load_{i}", f"ext_{i}", now, now) for i in range(1, n + 1)))
db.commit()
