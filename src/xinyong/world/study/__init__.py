"""Studies: the synthetic world as a research instrument.

A study runs a base scenario under named variants (overrides by key path) and several
seeds, in parallel, resumably, and reports every outcome per variant as a mean with a
95 % interval and as the difference from a baseline variant (docs/studies.md).

* :mod:`.spec`      the study file and its variants (:mod:`.overrides`: key paths);
* :mod:`.tasks`     one run (variant, seed) as a task; :mod:`.execute` runs them;
* :mod:`.tracker`   what a study follows person by person during a run;
* :mod:`.outcomes`  every outcome, defined once; :mod:`.stats` the statistics;
* :mod:`.summary`   means, intervals and differences; :mod:`.report` the HTML report;
* :mod:`.peer`      peer ratings ("Nosedive"), world only, never seen by the engine;
* :mod:`.findings`  findings stated in words for the report's captions.

Enforcement attention allocated by past detections is a mechanism of the world itself
(:mod:`xinyong.world.attention`, ``[attention]`` in the scenario, off by default).
"""
