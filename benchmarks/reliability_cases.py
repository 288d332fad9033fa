"""The claims of docs/reliability.md, each tied to the test that proves it (run by benchmarks/reliability.py).

A row is only as good as its test: the script runs every test named here and prints its outcome next
to the claim, so a claim whose test fails or no longer exists shows up in the table, not in prose.
"""

from __future__ import annotations

T = "tests/training/"
S = "tests/submit/"

# Canary secrets: values set in the environment that must appear in no spec, log line or error.
SECRET_TESTS = [
    ("OSMO renderers, every property-test example (4 canaries: WANDB_API_KEY, HF_TOKEN, "
     "MLFLOW_TRACKING_TOKEN, AZURE_CLIENT_SECRET), stdout and stderr",
     S + "backends/osmo/test_render_property.py::test_free_text_flag_is_refused_or_round_trips_to_its_one_place"),
    ("`submit osmo training` and `lerobot-training` with every credential flag, stdout and stderr",
     S + "backends/osmo/test_render.py::test_secrets_in_the_environment_never_reach_the_spec_or_messages"),
    ("a secret-looking environment variable in a hand-written OSMO spec: refused without its value",
     S + "backends/osmo/test_spec.py::test_secret_looking_environment_variable_is_refused_without_echoing_its_value"),
    ("`submit validate` on an invalid OSMO spec holding a token: the problem list never shows it",
     S + "commands/test_validate.py::test_an_invalid_osmo_spec_exits_1_listing_every_problem_by_path"),
    ("Key Vault secrets (ROBO_SECRET_SOURCE=keyvault, vault faked at its one seam): a canary W&B key reaches "
     "wandb, and appears in no stdout, stderr, log, metrics ledger, MLflow store or wandb file of a real run; "
     "vault errors are one line without it",
     T + "test_secrets.py::test_a_vault_key_reaches_wandb_and_its_value_is_in_no_output_log_ledger_or_mlflow"),
    ("Key Vault errors (auth, 403, unreachable) are one line without the SDK's request details or the secret",
     T + "test_secrets.py::test_a_vault_error_is_one_line_without_the_sdks_request_details"),
    ("LeRobot dataset download errors never show the SAS token",
     "tests/lerobot/test_dataset.py::test_errors_never_show_the_sas_token"),
    ("Azure ML renderers: `submit azureml training` (W&B, Key Vault) and `lerobot-training` (W&B, push to hub) "
     "dry runs and a refused flag, with 5 canaries (WANDB_API_KEY, HF_TOKEN, MLFLOW_TRACKING_TOKEN, "
     "AZURE_CLIENT_SECRET, MLFLOW_TRACKING_PASSWORD), stdout and stderr",
     S + "backends/azureml/test_render.py::test_secrets_in_the_environment_never_reach_a_spec_or_a_message"),
    ("URLs carrying a credential (a SAS query or user:password@) in --blob-url, --checkpoint-uri, "
     "--pretrained-path or --mlflow-tracking-uri: refused on Azure ML and OSMO, no spec written, the value "
     "not echoed",
     S + "models/test_submission.py::test_a_url_carrying_a_credential_never_reaches_a_spec"),
    ("a secret-looking variable in a hand-written Azure ML job: `submit validate` flags it without its value",
     S + "test_boundary.py::test_secret_looking_azure_ml_variables_are_flagged_and_their_values_never_shown"),
]  # fmt: skip

# (fault, what the user sees, what was kept, tests)
FAULTS = [
    ("Tracking server killed (SIGKILL) mid-run, restarted 2 s later on the same port",
     "one warning `MLflow is unreachable; keeping metrics and retrying (...)`; training goes on; exit 0",
     "every (metric, step) of the local ledger reaches MLflow (0 unsent); the model is registered (version 1)",
     [T + "test_outage.py::test_a_server_killed_and_restarted_mid_run_loses_no_point"]),
    ("Tracking server gone for good mid-run",
     "`N of M metric points could not be sent to MLflow at URI (last error: ...); every logged point is kept "
     "in <ledger>`, then `error: training finished, but could not upload the checkpoints at URI...`; exit 1",
     "training ran to the end; every checkpoint on local disk; every metric point in `metrics.jsonl`; "
     "nothing registered; result status `failed`",
     [T + "test_outage.py::test_a_server_gone_for_good_costs_no_training_and_the_loss_is_counted",
      T + "test_metric_pipeline.py::test_an_absent_server_never_blocks_and_the_loss_is_counted"]),
    ("SIGTERM mid-training (preemption), then resume",
     "last line `stopped by SIGTERM after timestep N ...`; exit 143; run marked KILLED / `interrupted`",
     "a last checkpoint `agent_N.pt` whose trainer state says N, uploaded to the run; every logged metric "
     "flushed to MLflow; nothing registered. Resume from a `runs:/` or `models:/` URI continues the timestep, "
     "optimizer and step numbers; proven chained: the SIGTERM'd run resumed from its own `runs:/` last "
     "checkpoint starts at N, logs no metric step twice or before N, finishes its budget, exits 0 and registers",
     [T + "test_exit_codes.py::test_sigterm_writes_a_last_checkpoint_flushes_and_exits_143_without_registering",
      T + "test_preempt_resume.py::test_a_sigtermed_run_resumed_from_its_last_checkpoint_continues_steps_finishes_and_registers",
      T + "test_train.py::test_resume_from_runs_and_models_uris_continues_timestep_optimizer_and_steps"]),
    ("Ctrl-C or SIGTERM during `submit local training` (to the terminal's process group or to the CLI alone; "
     "the trainer runs in its own group and hears each signal once, from the CLI)",
     "the trainer's `training stopped by SIGINT after timestep N ...`, then one line `submit: error: interrupted "
     "at timestep N; nothing was registered; last checkpoint PATH (resume with --checkpoint-mode resume "
     "--checkpoint-uri runs:/...)`; no traceback; exit 130 (SIGTERM: passed on to the trainer; exit 143)",
     "as after SIGTERM: a last checkpoint `agent_N.pt`, uploaded to the run (KILLED); every logged metric "
     "flushed; nothing registered; the CLI waits for its trainer, so none outlives it",
     [S + "backends/local/test_runner.py::test_ctrl_c_keeps_the_last_checkpoint_registers_nothing_leaves_no_trainer_and_exits_130",
      S + "backends/local/test_runner.py::test_sigterm_stops_the_trainer_too_keeps_its_checkpoint_and_exits_143"]),
    ("Corrupt, truncated or code-carrying checkpoint",
     "`ROBO_CHECKPOINT_URI: <uri>: not a readable skrl checkpoint (...)`; a checkpoint without trainer state "
     "is refused for resume with `use --checkpoint-mode warm-start`",
     "nothing is loaded; unpickling never runs code (weights-only load)",
     [T + "test_checkpoints.py::test_a_corrupt_checkpoint_is_a_clear_error",
      T + "test_checkpoints.py::test_a_truncated_checkpoint_is_a_clear_error",
      T + "test_checkpoints.py::test_a_checkpoint_that_would_run_code_when_unpickled_is_refused",
      T + "test_train.py::test_resume_refuses_a_checkpoint_without_trainer_state"]),
    ("Checkpoint URI that does not exist",
     "trainer: `error: ROBO_CHECKPOINT_URI: <path>: no such file or folder`, exit 2 before training; "
     "`submit azureml training` (preflight): exit 1 naming the missing run",
     "nothing trained, no checkpoint written, nothing sent",
     [T + "test_exit_codes.py::test_a_missing_checkpoint_is_an_error_before_training",
      T + "test_checkpoints.py::test_a_missing_local_checkpoint_is_a_clear_error",
      S + "backends/azureml/test_client.py::test_preflight_resolves_checkpoint_uris_against_the_workspace"]),
    ("Registry name already taken",
     "no error: the checkpoint becomes the next version of that registered model",
     "earlier versions untouched; the new version carries source run, step, file name and sha256 tags; "
     "the downloaded file matches the sha256",
     [T + "test_registration.py::test_versions_come_from_a_plain_folder_with_tags_and_the_files_sha256"]),
]  # fmt: skip

# Runs that survive what a cluster throws at them (issue 15, items 9-15, 17-19): (what happens, what the user
# sees, what is kept, tests).
L = "tests/submit/backends/local/test_runner.py::"
SURVIVE = [
    ("Resume after a stop, without --timesteps", "the run ends at the budget of the run it continues (kept in the "
     "checkpoint's trainer state); a resume that would stop short of it is refused (exit 2, naming --timesteps)",
     "checkpoint names and steps continue to the original end; the resumed run registers",
     [T + "rl/test_train.py::test_a_resume_without_timesteps_ends_where_the_run_it_continues_would_have",
      T + "rl/test_train.py::test_a_resume_that_would_stop_short_of_the_budget_of_the_run_it_continues_is_refused"]),
    ("Tracking server not answering when training starts (nothing listening; a real server started late)",
     "one warning `MLflow at URI is unreachable (...); training goes on, every metric is kept in <ledger> and "
     "sent once it answers`; no traceback. Never answers: `N of N metric points could not be sent`, exit 1",
     "training runs to its end; every point in the ledger; a late server gets the run (params, tags), every "
     "point from before it answered and the checkpoints",
     [T + "tracking/test_unreachable_start.py::test_a_server_that_never_answers_costs_no_training_and_every_point_is_kept",
      T + "tracking/test_unreachable_start.py::test_a_server_started_after_training_began_gets_the_run_and_every_point"]),
    ("SIGTERM to the trainer process itself during `submit local training` (a cluster's preemption)",
     "the CLI reports it as its own SIGTERM: exit 143 and `interrupted at timestep N ... (resume with ...)`",
     "the last checkpoint, uploaded; the run KILLED; nothing registered",
     [L + "test_sigterm_to_the_trainer_itself_is_a_preemption_reported_as_the_clis_own"]),
    ("Disk full mid-run (a 4 MiB tmpfs filled for real), or an output / tracking-store folder that cannot be "
     "written (a read-only tmpfs; chmod where mounting is not allowed)",
     "one line `error: <folder>: no space left on the device; training failed, nothing was registered; last "
     "checkpoint P (resume with ...)`, exit 1; an unwritable folder is named before anything is built",
     "the checkpoints written so far; the MLflow run ends FAILED, not RUNNING",
     [T + "test_full_disk.py::test_a_disk_that_fills_mid_run_fails_on_one_line_ends_the_run_failed_and_says_how_to_resume",
      T + "test_full_disk.py::test_an_unwritable_output_folder_is_one_line_and_exit_1_before_anything_is_built",
      T + "test_full_disk.py::test_an_unwritable_tracking_store_folder_is_one_line_and_exit_1_before_anything_is_built"]),
    ("A `training/` folder or a `random.py` in the folder `submit local training` runs in",
     "nothing: the trainer runs with a safe import path (PYTHONSAFEPATH, on every backend too)",
     "the run trains and exits 0",
     ["tests/submit/commands/test_local.py::test_a_training_folder_or_random_py_where_it_runs_neither_replaces_nor_breaks_the_trainer"]),
    ("A trainer setting it cannot use (ROBO_TIMESTEP, ROBO_NUM_ENVS=10^8, a seed outside numpy's range, an "
     "infinite flush timeout, ROBO_PHYSICS or a window for a gymnasium task, an empty output folder, a newline "
     "in a name, a bad flag of its own)",
     "exit 2, one line naming the variable or flag (with `did you mean`), before the environment is built; "
     "`python -m training --help` exits 0",
     "nothing written, nothing tracked",
     [T + "test_config.py::test_a_setting_the_trainer_cannot_use_is_refused_on_one_line",
      T + "test_config.py::test_the_trainers_own_flags_fail_on_one_line",
      T + "test_main.py::test_help_exits_0_and_the_trainers_own_cli_errors_are_one_line",
      "tests/submit/commands/test_local.py::test_a_window_for_a_gymnasium_task_is_refused_not_ignored"]),
    ("Smoke-test mode given a checkpoint that is missing or of another task",
     "exit 2, one line naming ROBO_CHECKPOINT_URI, before anything is tracked",
     "nothing tracked",
     [T + "rl/test_modes.py::test_smoke_test_mode_refuses_a_missing_checkpoint",
      T + "rl/test_modes.py::test_smoke_test_mode_refuses_a_checkpoint_of_another_task"]),
    ("A checkpoint holding code, or no checkpoint at all",
     "`not a readable skrl checkpoint (it holds a pathlib.PosixPath object; the trainer loads only tensors and "
     "plain data, never code, ...)`: never torch's advice to load it unsafely",
     "nothing loaded",
     [T + "test_checkpoints.py::test_a_code_carrying_checkpoint_is_named_as_such_never_with_torchs_advice_to_load_it_unsafely",
      T + "test_checkpoints.py::test_a_file_that_is_no_checkpoint_says_so_without_torchs_advice"]),
    ("A run refused after it started (a checkpoint of another task or agent); a resumed run",
     "the refusal's one line",
     "nothing left behind (no empty outputs/<job>/skrl/, no download folder); a resumed run keeps and uploads "
     "no copy of its source checkpoint",
     [T + "rl/test_train.py::test_a_checkpoint_of_another_task_is_refused_before_anything_is_built",
      T + "rl/test_train.py::test_a_checkpoint_refused_once_the_agent_exists_leaves_no_skrl_folder_behind",
      T + "rl/test_train.py::test_a_resumed_run_keeps_and_uploads_no_copy_of_its_source_checkpoint"]),
]  # fmt: skip

# (command, outcome, exit code, tests); the codes come from submit/cli.py's one boundary
# (BadInput 2, every other SubmitError 1, Ctrl-C 130) and training/__main__.py.
EXIT_CODES = [
    ("submit azureml training / lerobot-training", "success (dry run or submitted)", "0",
     [S + "backends/azureml/test_client.py::test_the_job_sent_is_the_job_the_dry_run_printed"]),
    ("submit azureml training / lerobot-training", "bad input (flag, environment, profile, workspace)", "2",
     [S + "test_boundary.py::test_bad_input_exits_2_with_one_line_naming_the_flag_and_writes_nothing",
      S + "sources/test_sources.py::test_a_bad_profile_is_bad_input_on_one_line_and_nothing_is_written",
      S + "backends/azureml/test_client.py::test_missing_workspace_coordinates_are_bad_input_naming_every_way_to_give_them",
      S + "backends/azureml/test_render_property.py::test_free_text_flag_is_refused_or_round_trips_to_its_one_place"]),
    ("submit azureml training / lerobot-training", "auth failure (no sign-in)", "1",
     [S + "backends/azureml/test_client.py::test_no_sign_in_is_a_clear_one_line_error_with_exit_1_and_nothing_written"]),
    ("submit azureml training / lerobot-training", "remote failure (request refused, preflight, terraform)", "1",
     [S + "backends/azureml/test_client.py::test_a_refused_request_names_the_status_and_the_fix",
      S + "backends/azureml/test_client.py::test_preflight_refuses_a_missing_compute_and_no_preflight_skips_the_checks",
      S + "sources/test_sources.py::test_terraform_failures_are_errors_naming_the_directory"]),
    ("submit azureml status / cancel / logs", "success", "0",
     [S + "backends/azureml/test_client.py::test_status_and_cancel_print_the_job_as_json"]),
    ("submit azureml status / cancel / logs", "auth failure (no sign-in)", "1",
     [S + "commands/test_jobs_auth.py::test_azureml_without_sign_in_is_one_line_naming_az_login_and_nothing_on_stdout"]),
    ("submit azureml status / cancel / logs", "remote failure (unknown job)", "1",
     [S + "backends/azureml/test_client.py::test_status_of_an_unknown_job_is_an_error_naming_it"]),
    ("submit azureml logs (streaming)", "training failure (the job failed)", "1",
     [S + "backends/azureml/test_client.py::test_logs_of_a_failed_job_are_printed_and_the_failure_exits_1"]),
    ("submit osmo training / lerobot-training", "success", "0",
     [S + "backends/osmo/test_client.py::test_workflow_id_comes_from_the_json_answer_and_the_file_sent_is_the_dry_run"]),
    ("submit osmo training / lerobot-training", "bad input", "2",
     [S + "backends/osmo/test_render_property.py::test_free_text_flag_is_refused_or_round_trips_to_its_one_place",
      S + "backends/osmo/test_render.py::test_push_to_hub_needs_the_hugging_face_credential",
      S + "backends/osmo/test_render.py::test_the_total_limit_counts_the_code_once_per_node"]),
    ("submit osmo training / lerobot-training", "auth failure (no `osmo login`; osmo CLI missing)", "1",
     [S + "backends/osmo/test_client.py::test_no_login_is_a_clear_error_naming_osmo_login",
      S + "backends/osmo/test_client.py::test_a_missing_osmo_binary_names_the_fix"]),
    ("submit osmo training / lerobot-training", "remote failure (submission refused, no workflow id, preflight)", "1",
     [S + "backends/osmo/test_client.py::test_a_submission_error_is_reported_on_one_line_with_exit_1",
      S + "backends/osmo/test_client.py::test_an_answer_without_a_workflow_id_is_never_taken_for_success",
      S + "backends/osmo/test_client.py::test_preflight_refuses_a_credential_the_spec_names_but_osmo_lacks",
      S + "backends/osmo/test_client.py::test_a_failing_preflight_call_names_the_osmo_command"]),
    ("submit osmo status / cancel / logs", "success", "0",
     [S + "backends/osmo/test_client.py::test_status_reports_the_workflow_and_its_tasks"]),
    ("submit osmo status / cancel / logs", "auth failure (no `osmo login`)", "1",
     [S + "commands/test_jobs_auth.py::test_osmo_without_login_is_one_line_naming_osmo_login_and_nothing_on_stdout",
      S + "commands/test_jobs_auth.py::test_osmo_logs_hold_back_only_the_clis_error_and_print_it_as_log_text_on_success"]),
    ("submit osmo status / cancel / logs", "remote failure (unknown workflow, cancel refused)", "1",
     [S + "backends/osmo/test_client.py::test_status_of_an_unknown_workflow_reports_osmos_error",
      S + "backends/osmo/test_client.py::test_cancel_confirmed_by_json_and_a_refusal_printed_as_text_is_an_error"]),
    ("submit osmo logs (streaming)", "training failure (the stream reports failure)", "1",
     [S + "backends/osmo/test_client.py::test_logs_pass_through_and_a_failed_stream_is_an_error"]),
    ("submit local training", "success", "0",
     [S + "commands/test_local.py::test_local_training_runs_the_trainer_registers_the_model_and_reports_it"]),
    ("submit local training", "bad input (flags; settings the trainer refuses)", "2",
     [S + "commands/test_local.py::test_bad_local_input_exits_2_before_anything_runs",
      S + "commands/test_local.py::test_agent_config_the_trainer_refuses_exits_2_and_registers_nothing"]),
    ("submit local training", "environment missing (Isaac Lab not set up)", "1",
     [S + "commands/test_local.py::test_missing_isaaclab_environment_names_the_setup_script"]),
    ("submit local training", "training failure (the trainer fails mid-training)", "1",
     [S + "backends/local/test_runner.py::test_a_trainer_failing_mid_training_exits_1_with_one_line_and_registers_nothing"]),
    ("submit local training", "Ctrl-C, or SIGINT to the CLI alone", "130",
     [S + "backends/local/test_runner.py::test_ctrl_c_keeps_the_last_checkpoint_registers_nothing_leaves_no_trainer_and_exits_130"]),
    ("submit local training", "SIGTERM (to the CLI alone or its process group)", "143",
     [S + "backends/local/test_runner.py::test_sigterm_stops_the_trainer_too_keeps_its_checkpoint_and_exits_143"]),
    ("submit local lerobot-training", "success / bad input", "0 / 2",
     ["tests/lerobot/test_local_cli.py::test_local_lerobot_training_trains_registers_and_reports_json",
      "tests/lerobot/test_local_cli.py::test_bad_lerobot_input_exits_2_on_one_line_before_anything_runs"]),
    ("submit validate FILE", "valid / invalid spec / not a spec file", "0 / 1 / 2",
     [S + "commands/test_validate.py::test_an_invalid_osmo_spec_exits_1_listing_every_problem_by_path",
      S + "commands/test_validate.py::test_azure_ml_specs_are_checked_with_load_job",
      S + "commands/test_validate.py::test_a_file_that_is_neither_kind_exits_2"]),
    ("submit completion SHELL", "success / unknown shell", "0 / 2",
     [S + "test_cli.py::test_completion_prints_clicks_script_for_the_shell",
      S + "test_cli.py::test_an_unknown_shell_is_bad_input_on_one_line"]),
    ("old script names (shims)", "exit code passed through", "same as the command",
     [S + "test_cli.py::test_a_shim_passes_arguments_untouched_and_keeps_the_exit_code"]),
    ("python -m training rl (in the job)", "bad settings / unknown task / missing checkpoint / missing secret", "2",
     [T + "test_exit_codes.py::test_bad_settings_exit_2_with_one_line_naming_the_variable",
      T + "test_exit_codes.py::test_an_unknown_task_exits_2_before_anything_is_tracked",
      T + "test_exit_codes.py::test_a_missing_checkpoint_is_an_error_before_training",
      T + "test_secrets.py::test_a_secret_missing_from_the_vault_stops_the_real_trainer_with_exit_2"]),
    ("python -m training rl (in the job)", "training failure", "1",
     [T + "test_exit_codes.py::test_an_exception_inside_training_exits_1_and_registers_nothing"]),
    ("python -m training rl (in the job)", "remote failure (tracking server gone: checkpoints not uploaded; Key Vault unreadable)", "1",
     [T + "test_outage.py::test_a_server_gone_for_good_costs_no_training_and_the_loss_is_counted",
      T + "test_secrets.py::test_a_vault_error_stops_the_real_trainer_with_one_line_and_exit_1"]),
    ("python -m training rl (in the job)", "SIGTERM (preemption)", "143",
     [T + "test_exit_codes.py::test_sigterm_writes_a_last_checkpoint_flushes_and_exits_143_without_registering"]),
    ("python -m training lerobot (in the job)", "success / training failure", "0 / 1",
     ["tests/lerobot/test_train.py::test_job_command_exits_zero_and_prints_only_the_result_on_stdout",
      "tests/lerobot/test_train.py::test_a_failed_run_exits_1_and_registers_nothing"]),
]  # fmt: skip

# Outcomes with no test of their own (the code path exists; nothing in tests/ exercises it). Empty: every
# row above cites a test; add an entry here when a new outcome has none yet.
UNTESTED: list[str] = []

# Boundary and specs (issue 15): what a command line or a spec cannot trick, and what the servers refuse. Each
# row: the claim, then the tests (files or node ids) whose cases are counted in the table.
BOUNDARY = [
    ("a value starting with '--' is refused naming its option, for every value-taking option of every command "
     "(the Click tree walked), before anything is parsed or sent; --lerobot-arg only as --lerobot-arg=--x=y",
     [S + "test_flag_values.py"]),
    ("a credential-bearing URL (SAS query, user:password@, a path with ?token=) in any text value of a spec: "
     "exit 2 naming the flag, value never shown, on both backends",
     [S + "test_spec_secrets.py", S + "models/test_submission.py::test_a_url_carrying_a_credential_never_reaches_a_spec"]),
    ("runs:/<Azure ML job name>/... renders on both backends and resumes through real MLflow; status and the "
     "last log line name the runs:/ URI that resumes a job",
     [S + "test_run_ids.py", T + "rl/test_azure_run_ids.py",
      S + "backends/azureml/test_client.py::test_status_and_cancel_print_the_job_as_json"]),
    ("what OSMO's server refuses (names over 64, sizes without a unit, more than 100 tasks, files without "
     "contents, OSMO_CTRL, Jinja rendered twice) is refused at render (exit 2) and by submit validate; "
     "workflow.pool is a warning",
     [S + "backends/osmo/test_server_rules.py"]),
    ("no Azure ML spec depends on ${{inputs.*}}/${{outputs.*}} in environment_variables, nor on an input "
     "binding in the command",
     [S + "backends/azureml/test_bindings.py"]),
    ("reference no-op flags accepted with one note; --policy-repo-id alone names --pretrained-path and --push-to-hub",
     [S + "test_reference.py::test_a_reference_no_op_flag_is_accepted_with_one_note_and_changes_nothing",
      S + "test_reference.py::test_a_policy_repo_id_without_push_names_pretrained_path_and_push_to_hub"]),
    ("OSMO takes the reference's Azure workspace flags; the job looks up the workspace's MLflow URI (ARM "
     "stood in for at the trainer's seam); dry run and submission render the same spec",
     [S + "backends/osmo/test_workspace_mlflow.py", T + "test_workspace.py"]),
    ("submit validate: oversized, binary and empty files exit 2 at once; deletes outside the job's folders and "
     "Azure ML code: outside the spec folder are warnings",
     [S + "commands/test_validate_files.py"]),
    ("OSMO help names no Azure workspace or Key Vault; .azureml/config.json wrong types and blank names "
     "refused; a local refusal names the flag, not ROBO_*",
     [S + "test_help_texts.py", S + "test_small_things.py",
      S + "commands/test_local.py::test_cuda_on_a_machine_without_it_is_refused_naming_the_flag_before_training"]),
]  # fmt: skip
