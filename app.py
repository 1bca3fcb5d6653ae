"""The lab's Streamlit app: ``streamlit run app.py -- --results results`` (or ``socialrl app``).

A thin entry: the app lives in the package (:mod:`socialrl.app`), so it works installed too.
"""

from socialrl.app.main import main

main()
