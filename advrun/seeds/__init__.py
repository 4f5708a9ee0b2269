"""Many seeds in one process: ``advrun train seeds=[1,2,3]`` trains one independent
agent per seed, each into its own run dir laid out like a sweep member
(:mod:`advrun.seeds.layout`), driven in lockstep by :mod:`advrun.seeds.driver`."""
