"""The candidate's process: loads untrusted code, runs it under observation, reports what it saw.

It never judges: the supervisor (verify.py) compares outputs it alone holds and decides.
"""
