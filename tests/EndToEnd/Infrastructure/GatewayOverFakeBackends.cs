namespace Wrapper.EndToEndTests.Infrastructure;

/// <summary>A fixture whose tests each start their own fake backends (api-1, api-2, ...) and an in-process gateway in
/// front of them, both stopped after the test.</summary>
public abstract class GatewayOverFakeBackends
{
    private InProcessGateway? _gateway;

    /// <summary>The backends of the running test, in start order.</summary>
    protected List<FakeBackend> Backends { get; } = [];

    /// <summary>Starts <paramref name="backends"/> fake backends named api-1, api-2, ... and the gateway over them.</summary>
    protected async Task<InProcessGateway> StartAsync(int backends, IDictionary<string, string?>? settings = null)
    {
        for (var i = 1; i <= backends; i++)
        {
            Backends.Add(await FakeBackend.StartAsync($"api-{i}"));
        }

        _gateway = await InProcessGateway.StartAsync(Backends, settings);
        return _gateway;
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
            _gateway = null;
        }

        foreach (var backend in Backends)
        {
            await backend.DisposeAsync();
        }

        Backends.Clear();
    }
}
