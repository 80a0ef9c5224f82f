"""What a person can do, one domain a file; each ability keeps the state it uses (Serenity's Screenplay), and is
given her persona and only the other abilities it uses (an account's clean-up logs her in; a chat needs her token):

persona.py   who she is: name, credentials, account id, where her requests go
run_log.py   the runs her chat received, and the question awaiting its run (written by chat, read by runs)

account.py   sign up, erase the account            alice.account.sign_up()
session.py   log in, tokens, refresh, log out      alice.session.log_out()
provider.py  sign in through an identity provider  alice.provider.sign_in_with_provider("alice")
chat.py      the chat socket: open, ask, close     alice.chat.ask("What is 2 + 3?")
runs.py      the agent's runs she receives         alice.runs.latest_run()
data.py      export her data                       alice.data.request_export()
limits.py    writes that count against her quota   alice.limits.write_until_refused()
records.py   what the database holds of hers       alice.records.stored_history(database)
"""
