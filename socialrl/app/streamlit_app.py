"""Entry script of the app inside the package (what ``socialrl app`` runs)."""

from socialrl.app.main import main

main()
