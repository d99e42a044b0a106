"""How a network learns: one module per concern, imported by its full path (no names are re-exported here).

* a run: `config` (TrainConfig, the lr schedule, accelerations), `engine` (train, run_steps: the loop
  over one `loop_state.LoopState`), `evaluate` (errors in eval mode), `signals` (stopping runs);
* where runs wait and land: `queue` (RunQueue), `store` (the SQLite RunStore) with `store_owners` (which
  process owns a run) and `store_rows` (rows to SQLite and back), `admission` (does it fit in memory),
  `budget` (how long it takes), `joining` (a launch that repeats an experiment joins it);
* data: `data` (load_dataset), `download` (torchvision's sets), `generated` (the shapes);
* experiments: `labs` (the papers' comparisons), `sweep` with `sweep_plan` and `sweep_ray` (a whole
  experiment from the command line, here or on Ray), `bundled` (the models shipped in assets/);
* past one machine: `ray_runs` (one run as a Ray task, and the driver's thread that follows it), `ray_cluster`
  (the app's queue on the cluster RESNET_VIZ_RAY names).
"""
