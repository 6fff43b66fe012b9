namespace Wrapper.Bench;

/// <summary>One target up and running: where to send requests, what to send, and the process whose cost is reported.</summary>
public sealed class Deployment : IAsyncDisposable
{
    private readonly List<ChildProcess> _processes;
    private readonly Func<bool, BenchRequest> _request;

    public Deployment(string key, string label, string title, string baseUrl, ChildProcess measured, bool isDotNet,
        Func<bool, BenchRequest> request, IEnumerable<ChildProcess> processes)
    {
        Key = key;
        Label = label;
        Title = title;
        BaseUrl = baseUrl;
        Measured = measured;
        IsDotNet = isDotNet;
        _request = request;
        _processes = processes.ToList();
    }

    public string Key { get; }

    /// <summary>(1), (2), (3), (3b), (4).</summary>
    public string Label { get; }

    public string Title { get; }

    public string BaseUrl { get; }

    /// <summary>The process whose memory, CPU and allocations the row reports.</summary>
    public ChildProcess Measured { get; }

    public bool IsDotNet { get; }

    public BenchRequest Request(bool stream) => _request(stream);

    public async ValueTask DisposeAsync()
    {
        // Front first, so nothing is left forwarding to a process that is gone.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
    }
}

/// <summary>Starts each target on free 127.0.0.1 ports in front of the shared simulator.</summary>
public sealed class Deployments
{
    public const string SimulatorKey = "bench-simulator-key";
    public const string ClientKey = "bench-client-key-0123456789abcdef0123"; // the service requires 32+ characters

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Repository _repository;
    private readonly BenchOptions _options;
    private readonly string _logDirectory;

    public Deployments(Repository repository, BenchOptions options, string logDirectory)
    {
        _repository = repository;
        _options = options;
        _logDirectory = logDirectory;
    }

    /// <summary>The simulator with no latency and no limits: the upstream of every target, and target (1) itself.</summary>
    public async Task<(ChildProcess Process, string BaseUrl)> StartSimulatorAsync()
    {
        var port = ChildProcess.FreePort();
        var process = Start("simulator", "dotnet", [_repository.SimulatorDll, "--urls", $"http://127.0.0.1:{port}"], new Dictionary<string, string>
        {
            ["Simulator__ApiKey"] = SimulatorKey,
            ["Simulator__LatencyPerTokenMs"] = "0",
            ["Simulator__TokensPerMinute"] = "0",
            ["Simulator__RequestsPerMinute"] = "0",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        }, Path.GetDirectoryName(_repository.SimulatorDll)!);
        await process.WaitForPortAsync(port, StartTimeout);
        return (process, $"http://127.0.0.1:{port}/");
    }

    public Deployment Direct(ChildProcess simulator, string simulatorUrl) => new(
        TargetNames.Direct, "(1)", "simulator, called directly", simulatorUrl, simulator, isDotNet: true,
        stream => Conversation.Azure(SimulatorKey, stream), []);

    public async Task<Deployment> YarpAsync(string simulatorUrl)
    {
        var port = ChildProcess.FreePort();
        var self = typeof(BenchRunner).Assembly.Location;
        var process = Start("yarp", "dotnet", [self, "yarp", "--listen", $"http://127.0.0.1:{port}", "--target", simulatorUrl], new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        }, Path.GetDirectoryName(self)!);
        await process.WaitForPortAsync(port, StartTimeout);
        return new Deployment(TargetNames.Yarp, "(2)", "plain YARP pass-through", $"http://127.0.0.1:{port}/", process, isDotNet: true,
            stream => Conversation.Azure(SimulatorKey, stream), [process]);
    }

    public async Task<Deployment> ServiceAsync(string simulatorUrl)
    {
        var (process, url) = await StartServiceAsync(simulatorUrl, "service");
        return new Deployment(TargetNames.Service, "(3)", "this service, POST /chat", url, process, isDotNet: true,
            stream => Conversation.Service(ClientKey, stream), [process]);
    }

    /// <summary>(3v): <c>POST /chat</c> on a second instance started with the <c>--variant-env</c> settings too (quotas on
    /// Redis, say), so that the same run measures the service with and without them.</summary>
    public async Task<Deployment> ServiceVariantAsync(string simulatorUrl)
    {
        var (process, url) = await StartServiceAsync(simulatorUrl, "service-variant", _options.VariantEnvironment);
        var settings = string.Join(", ", _options.VariantEnvironment.Select(kv => $"{kv.Key}={kv.Value}"));
        return new Deployment(TargetNames.ServiceVariant, "(3v)", $"this service, POST /chat, with {settings}", url, process, isDotNet: true,
            stream => Conversation.Service(ClientKey, stream), [process]);
    }

    public async Task<Deployment> OpenAICompatibleAsync(string simulatorUrl)
    {
        var (process, url) = await StartServiceAsync(simulatorUrl, "openai-compatible");
        return new Deployment(TargetNames.OpenAICompatible, "(3c)", "this service, POST /openai/v1/chat/completions", url, process, isDotNet: true,
            stream => Conversation.OpenAICompatible(ClientKey, stream), [process]);
    }

    /// <summary>src/Gateway in front of one service instance; null when the gateway project is not in this checkout.</summary>
    public async Task<Deployment?> GatewayAsync(string simulatorUrl)
    {
        if (!File.Exists(_repository.GatewayDll))
        {
            return null;
        }

        var (service, serviceUrl) = await StartServiceAsync(simulatorUrl, "gateway-backend");
        var port = ChildProcess.FreePort();
        ChildProcess gateway;
        try
        {
            gateway = Start("gateway", "dotnet", [_repository.GatewayDll], new Dictionary<string, string>
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Gateway__Backends__0__Name"] = "api-1",
                ["Gateway__Backends__0__Address"] = serviceUrl,
            }, Path.GetDirectoryName(_repository.GatewayDll)!);
            await gateway.WaitForPortAsync(port, StartTimeout);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }

        return new Deployment(TargetNames.Gateway, "(3b)", "this service through src/Gateway", $"http://127.0.0.1:{port}/", gateway, isDotNet: true,
            stream => Conversation.Service(ClientKey, stream), [service, gateway]);
    }

    public async Task<Deployment> PortkeyAsync(string simulatorUrl)
    {
        await _repository.EnsureNodePackagesAsync();
        var port = ChildProcess.FreePort();
        var loopbackOnly = Path.Combine(_repository.NodeDirectory, "loopback.mjs");
        var process = Start("portkey", "node", ["--import", loopbackOnly, _repository.PortkeyScript, $"--port={port}", "--headless"],
            new Dictionary<string, string> { ["NODE_ENV"] = "production" }, _repository.NodeDirectory);
        await process.WaitForPortAsync(port, StartTimeout);
        return new Deployment(TargetNames.Portkey, "(4)", "Portkey AI gateway 1.15.2 (node)", $"http://127.0.0.1:{port}/", process, isDotNet: false,
            stream => Conversation.Portkey(simulatorUrl, SimulatorKey, stream), [process]);
    }

    private async Task<(ChildProcess Process, string BaseUrl)> StartServiceAsync(string simulatorUrl, string name,
        IReadOnlyDictionary<string, string>? variant = null)
    {
        var port = ChildProcess.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["OPENAI_ENDPOINT"] = simulatorUrl,
            ["OPENAI_API_KEY"] = SimulatorKey,
            ["OPENAI_SIMULATED"] = "true",
            // No Agent Service here: the embedded simulator answers the agents, which Production allows only on request.
            ["WRAPPER_ALLOW_SIMULATOR"] = "true",
            ["OPENAI_MODEL_DEPLOYMENT_NAME"] = Conversation.Deployment,
            ["OPENAI_API_VERSION"] = Conversation.ApiVersion,
            // A client key as in production; the per-client rate limit (120/min by default) would refuse the load.
            ["API_KEYS"] = $"bench:{ClientKey}",
            ["RateLimiting__PermitLimit"] = "0",
            ["INSTANCE_ID"] = name,
        };
        foreach (var (key, value) in _options.ServiceEnvironment.Concat(variant ?? new Dictionary<string, string>()))
        {
            environment[key] = value;
        }

        var process = Start(name, "dotnet", [_repository.ApiDll], environment, Path.GetDirectoryName(_repository.ApiDll)!);
        await process.WaitForPortAsync(port, StartTimeout);
        return (process, $"http://127.0.0.1:{port}/");
    }

    /// <summary>Starts a process in <paramref name="workingDirectory"/> — a .NET target in its own output folder, as in its
    /// container (content root with its appsettings.json, and no bench log being written where its file watchers look).</summary>
    private ChildProcess Start(string name, string file, IEnumerable<string> arguments, Dictionary<string, string> environment, string workingDirectory) =>
        ChildProcess.Start(name, file, arguments, environment, workingDirectory, Path.Combine(_logDirectory, $"{name}.log"));
}
