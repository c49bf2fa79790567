"""pytest plugins (entry points in pyproject.toml): ``board`` (the ``board``/``fresh_board``/
``qemu_service``/``gpio`` fixtures and the target options) and ``net`` (the board network,
``--net tap|user``). They import the rest of the harness lazily, inside fixtures, so loading
them costs pytest runs that use no board nothing."""
