"""`its-store completion show|install [SHELL]`: the completion scripts of cli/completion/scripts.py.

The root's --show-completion and --install-completion do the same for the shell they run in.
"""

from typing import Annotated, Literal

import typer

from its_store.cli import output as out
from its_store.cli.base import add_commands, new_group

completion_app = new_group(no_args_is_help=True,
                           help="Shell completion for bash, zsh and fish: show the script, install it.")

Shell = Annotated[Literal["bash", "zsh", "fish"] | None, typer.Argument(
    help="bash, zsh or fish; default: the shell this runs in.", show_default=False)]


def show(ctx: typer.Context, shell: Shell = None) -> None:
    """Print the completion script of SHELL, generated from this version of its-store.

    Commands, options and choices complete without starting its-store; bucket, key, model and remote names
    are asked of it (from its completion cache, else the server: within 0.3 s when the cache has an answer to
    offer, 2 s when it has none, 3 s at most in all).

    Example: its-store completion show zsh > ~/.zfunc/_its-store
    """
    from its_store.cli.completion.scripts import detect_shell, script, tree
    out.block(script(shell or detect_shell(), tree(ctx.find_root().command)))  # line breaks and tabs kept


def install(ctx: typer.Context, shell: Shell = None) -> None:
    """Install the completion script of SHELL where that shell loads it, replacing an older one.

    bash: ~/.bash_completions/its-store.sh, sourced from ~/.bashrc; zsh: ~/.zfunc/_its-store, with ~/.zfunc
    on fpath in ~/.zshrc; fish: ~/.config/fish/completions/its-store.fish. Open a new shell to use it.

    Example: its-store completion install bash
    """
    from its_store.cli.completion.scripts import detect_shell, tree
    from its_store.cli.completion.scripts import install as install_script
    name = shell or detect_shell()
    out.lines([f"{name} completion installed in {install_script(name, tree(ctx.find_root().command))}",
               "Completion will take effect once you restart the terminal"])


def register(app: typer.Typer) -> None:
    add_commands(completion_app, show, install)
    app.add_typer(completion_app, name="completion")
