namespace Wrapper.FunctionalTests.Infrastructure;

/// <summary>A fixture that starts the API once as it starts with no configuration (<see cref="EmbeddedApiFactory"/>:
/// the embedded simulator answers) and shares one client among its tests.</summary>
public abstract class EmbeddedApiTests
{
    protected EmbeddedApiFactory Factory { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    [OneTimeSetUp]
    public void StartApi()
    {
        Factory = new EmbeddedApiFactory();
        Client = Factory.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopApi()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }
}
