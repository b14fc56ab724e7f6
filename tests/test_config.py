from __future__ import annotations

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError
from tests.conftest import FIXTURES

CONFIGS = FIXTURES / "config"


def test_valid_config_resolves_paths_and_channels() -> None:
    config = load_config(CONFIGS / "valid.toml")
    assert config.name == "Acme"
    assert config.fail_on == "warning"
    assert config.baseline == (CONFIGS / "../baselines/minimal").resolve()
    assert [(s.kind, s.index) for s in config.channels] == [("files", 0), ("social", 0)]
    assert config.channels[1].options.kind == "jsonl"


@pytest.mark.parametrize(("name", "key", "line", "words"), [
    ("unknown_key.toml", "channels.files[0].pathh", 7, "did you mean 'path'"),
    ("wrong_type.toml", "channels.web[0].max_pages", 6, "expected an integer"),
    ("bad_syntax.toml", None, 2, "not valid TOML"),
    ("unknown_channel.toml", "channels.webb", 4, "did you mean 'web'"),
    ("bad_fail_on.toml", "audit.fail_on", 3, "error, warning, never"),
])
def test_config_errors_name_file_key_and_line(name, key, line, words) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(CONFIGS / name)
    err = info.value
    assert err.source.endswith(name)
    assert err.key == key
    assert err.line == line
    assert words in err.describe()
    assert err.exit_code == 2


def test_missing_config_says_how_to_make_one(tmp_path) -> None:
    with pytest.raises(ConfigError, match="brand-audit init"):
        load_config(tmp_path / "audit.toml")


def test_a_wrong_value_says_what_the_option_is_for(tmp_path) -> None:
    # "expected a string, got bool True" alone does not say what to write instead.
    config = tmp_path / "audit.toml"
    config.write_text('[audit]\nbaseline = "b"\n\n[[channels.chat]]\npath = "chats/"\n'
                      'agent_from_filename = true\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert info.value.key == "channels.chat[0].agent_from_filename"  # a CallsOptions field
    assert "a named group agent, searched in the file name" in info.value.describe()
    config.write_text('[audit]\nbaseline = "b"\n\n[[channels.files]]\ninclude = ["*.md"]\n',
                      encoding="utf-8")
    with pytest.raises(ConfigError, match="add path = ... \\(a string\\): A file or a folder"):
        load_config(config)
