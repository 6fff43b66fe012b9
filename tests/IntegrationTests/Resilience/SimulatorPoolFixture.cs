namespace Wrapper.IntegrationTests.Resilience;

/// <summary>A fixture that shares one <see cref="SimulatorPool"/> of <paramref name="simulators"/> simulators among its
/// tests, and clears their faults, counters and latency before each test.</summary>
public abstract class SimulatorPoolFixture(int simulators)
{
    internal SimulatorPool Pool { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartSimulators() => Pool = await SimulatorPool.StartAsync(simulators);

    [OneTimeTearDown]
    public async Task StopSimulators() => await Pool.DisposeAsync();

    [SetUp]
    public void ResetSimulators() => Pool.Reset();
}
