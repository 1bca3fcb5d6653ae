"""The app's pages: one script per page, run by ``st.navigation`` (see :mod:`socialrl.app.main`)."""
