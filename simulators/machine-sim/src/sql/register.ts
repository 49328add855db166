// The SQL face registers itself with startSimulatedPlant here once the TDS server package is wired in.
export {};
