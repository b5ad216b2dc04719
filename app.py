"""Judge Studio command line: ``python app.py`` is ``judge-studio`` (the code is in ``cli/``).

``python app.py`` and ``python app.py --port 8080`` start the web app like ``judge-studio serve``.
"""

from cli import main

if __name__ == "__main__":
    main()
