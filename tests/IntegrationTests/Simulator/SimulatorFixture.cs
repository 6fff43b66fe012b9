using Wrapper.Simulator;

namespace Wrapper.IntegrationTests.Simulator;

/// <summary>A fixture that starts one <see cref="SimulatorServer"/> with its default options on 127.0.0.1 and shares
/// it, and a plain-http client to it, among its tests (each fixture resets what its tests change).</summary>
public abstract class SimulatorFixture
{
    protected SimulatorServer Server { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Server = await SimulatorServer.StartAsync();
        Client = SimulatorHttp.CreateClient(Server);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
