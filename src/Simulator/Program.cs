using Wrapper.Simulator;

SimulatorApp.Build(args).Run();
