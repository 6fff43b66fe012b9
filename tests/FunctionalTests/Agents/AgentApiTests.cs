namespace Wrapper.FunctionalTests.Agents;

/// <summary>A fixture that starts the API once over its embedded agent simulator (<see cref="AgentApiFactory"/> with the
/// given run deadline, runs stepping every 5 ms) and shares one client among its tests.</summary>
public abstract class AgentApiTests(string runDeadlineSeconds = "10")
{
    protected AgentApiFactory Factory { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    [OneTimeSetUp]
    public void StartApi()
    {
        Factory = new AgentApiFactory(runDeadlineSeconds);
        Client = Factory.CreateClient();
        Factory.Simulator.Options.Agents.RunStepDelayMs = 5;
    }

    [OneTimeTearDown]
    public async Task StopApi()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }
}
