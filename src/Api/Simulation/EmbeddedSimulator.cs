using System.Globalization;
using System.Security.Cryptography;
using Azure.Core;
using Wrapper.Application.Grounding;
using Wrapper.Infrastructure.Agents;
using Wrapper.Simulator;

namespace Wrapper.Api.Simulation;

/// <summary>
/// The embedded default: when no <c>OPENAI_ENDPOINT</c> is configured, the Azure OpenAI simulator runs inside
/// this process on a loopback port, and the real adapter talks to it through the real SDK over HTTP, exactly as
/// it would talk to Azure. Owned by the host: started before the app is built, logged loudly at start, stopped
/// when the host is disposed. It stands in for a missing endpoint only in the Development environment (what
/// <c>dotnet run --project src/Api</c> starts, through launchSettings.json) or when <see cref="AllowKey"/> is
/// <c>true</c>; anywhere else the service refuses to start, naming the missing variable.
/// </summary>
public sealed class EmbeddedSimulator : IHostedService, IAsyncDisposable
{
    /// <summary>Delay per completion token of simulated answers (default 5 ms), to feel like a real model.</summary>
    public const string LatencyConfigKey = "SIMULATOR_LATENCY_PER_TOKEN_MS";

    public const double DefaultLatencyPerTokenMs = 5;

    /// <summary>Deployment served when OPENAI_MODEL_DEPLOYMENT_NAME is not set either.</summary>
    public const string DefaultDeployment = "gpt-4o-mini";

    /// <summary>The first pool upstream's endpoint; when set, the Azure OpenAI side is not simulated.</summary>
    public const string UpstreamPoolEndpointKey = "AzureOpenAI:Upstreams:0:Endpoint";

    /// <summary>Opt-in (<c>true</c>/<c>false</c>) to simulating a missing upstream outside the Development environment.
    /// Unset: allowed in Development only; <c>false</c> refuses even there.</summary>
    public const string AllowKey = "WRAPPER_ALLOW_SIMULATOR";

    /// <summary>The simulator's default agents, which replace configured ones when it stands in for the Agent Service:
    /// <c>bing-grounding</c> → <c>asst_bing</c>, <c>plain</c> → <c>asst_plain</c>.</summary>
    public static IReadOnlyDictionary<string, string> AgentIds { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [AskGroundedQuestion.AgentName] = "asst_bing",
        [PlainAgent.AgentName] = "asst_plain",
    };

    private readonly ILogger<EmbeddedSimulator> _logger;

    private EmbeddedSimulator(SimulatorServer server, string deployment, bool openAISimulated, bool agentsSimulated, ILogger<EmbeddedSimulator> logger)
    {
        Server = server;
        Deployment = deployment;
        OpenAISimulated = openAISimulated;
        AgentsSimulated = agentsSimulated;
        _logger = logger;
    }

    /// <summary>True when the Azure OpenAI endpoints use this simulator (no OPENAI_ENDPOINT and no
    /// <c>AzureOpenAI:Upstreams</c>).</summary>
    public bool OpenAISimulated { get; }

    /// <summary>True when the agent endpoints use this simulator (no AZURE_AI_PROJECT_ENDPOINT): over https with its
    /// self-signed certificate pinned, and a per-process random bearer token.</summary>
    public bool AgentsSimulated { get; }

    /// <summary>The running simulator (its <see cref="SimulatorServer.Faults"/> can be used to inject failures).</summary>
    public SimulatorServer Server { get; }

    /// <summary>The deployment name the simulator serves and the adapter calls.</summary>
    public string Deployment { get; }

    /// <summary>
    /// When neither <c>OPENAI_ENDPOINT</c> nor <c>AzureOpenAI:Upstreams:0:Endpoint</c> is set: starts the simulator
    /// with a random per-process key, points the configuration at it (<c>OPENAI_ENDPOINT</c>, <c>OPENAI_API_KEY</c>, <c>OPENAI_SIMULATED=true</c>) and
    /// registers it with the host. Likewise, when <c>AZURE_AI_PROJECT_ENDPOINT</c> is not set, points the agents at
    /// its https endpoint (<see cref="UseForAgentService"/>). Returns false,
    /// changing nothing, when both endpoints are configured. Throws <see cref="SimulatorNotAllowedException"/>, before
    /// starting anything, when an endpoint is missing and simulating it is not allowed (<see cref="EnsureAllowed"/>).
    /// </summary>
    public static async Task<bool> StartIfNoEndpointAsync(WebApplicationBuilder builder, CancellationToken cancellationToken = default)
    {
        var configuration = builder.Configuration;
        // A configured upstream pool (AzureOpenAI:Upstreams) is a real endpoint too: no simulator stands in for it.
        var openAISimulated = string.IsNullOrWhiteSpace(configuration["OPENAI_ENDPOINT"])
                              && string.IsNullOrWhiteSpace(configuration[UpstreamPoolEndpointKey]);
        var agentsSimulated = string.IsNullOrWhiteSpace(configuration[AgentServiceOptions.EndpointKey]);
        if (!openAISimulated && !agentsSimulated)
        {
            return false;
        }

        EnsureAllowed(builder.Environment, configuration, openAISimulated, agentsSimulated);

        var deployment = configuration["OPENAI_MODEL_DEPLOYMENT_NAME"] is { } configured && !string.IsNullOrWhiteSpace(configured)
            ? configured.Trim()
            : DefaultDeployment;
        var latency = double.TryParse(configuration[LatencyConfigKey], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)
                      && ms >= 0 && double.IsFinite(ms)
            ? ms
            : DefaultLatencyPerTokenMs;
        var apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var agentToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

        var options = new SimulatorOptions
        {
            ApiKey = apiKey,
            Deployments = [deployment],
            LatencyPerTokenMs = latency,
            AgentBearerToken = agentToken,
        };

        // The simulator is a web host of its own. Start it outside this execution context, so that tooling which
        // watches the hosts built by the entry point (WebApplicationFactory, dotnet-ef, OpenAPI generators) cannot
        // mistake it for the API's host.
        Task<SimulatorServer> starting;
        using (ExecutionContext.SuppressFlow())
        {
            starting = Task.Run(() => SimulatorServer.StartAsync(options, cancellationToken), cancellationToken);
        }

        var server = await starting;

        if (openAISimulated)
        {
            configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["OPENAI_ENDPOINT"] = server.HttpAddress.ToString(),
                ["OPENAI_API_KEY"] = apiKey,
                ["OPENAI_MODEL_DEPLOYMENT_NAME"] = deployment,
                [SimulatedSides.OpenAISimulatedKey] = "true",
            });
        }

        if (agentsSimulated)
        {
            UseForAgentService(builder.Services, new Uri(server.HttpsAddress, "api/projects/simulator"), server.Certificate, agentToken);
        }

        // Created by a factory so that the container disposes it (and so the simulator) with the host.
        builder.Services.AddSingleton(sp => new EmbeddedSimulator(server, deployment, openAISimulated, agentsSimulated, sp.GetRequiredService<ILogger<EmbeddedSimulator>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedSimulator>());
        return true;
    }

    /// <summary>
    /// Points the Agent Service adapter at a simulator, as configuration: its https endpoint and the one certificate to
    /// trust for it (options), the bearer token it expects (a <see cref="TokenCredential"/> registered for the Agent
    /// Service alone, <see cref="AgentServiceCollectionExtensions.CredentialKey"/>), and its agents, which replace configured
    /// ones: its classic ids (by default <see cref="AgentIds"/>), or, for an entry configured for the new protocol, its named
    /// agent of the entry's name. Infrastructure sees an endpoint and a credential.
    /// </summary>
    public static IServiceCollection UseForAgentService(IServiceCollection services, Uri endpoint,
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string token, IReadOnlyDictionary<string, string>? agentIds = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentException.ThrowIfNullOrEmpty(token);

        services.AddKeyedSingleton<TokenCredential>(AgentServiceCollectionExtensions.CredentialKey, new StaticTokenCredential(token));
        services.PostConfigure<AgentServiceOptions>(options =>
        {
            options.Endpoint = endpoint;
            options.TrustedCertificate = certificate;
            foreach (var (name, id) in agentIds ?? AgentIds)
            {
                // An entry configured for the new protocol runs the simulator's agent of the same name (it serves both kinds).
                options.Agents[name] = options.TargetOf(name) is { Protocol: Wrapper.Domain.Agents.AgentProtocol.Responses }
                    ? new AgentDefinition { Protocol = AgentServiceOptions.ResponsesProtocol, AgentName = name }
                    : new AgentDefinition { AgentId = id };
            }
        });
        return services;
    }

    /// <summary>
    /// Refuses to simulate outside the Development environment unless <see cref="AllowKey"/> is <c>true</c> (and
    /// anywhere when it is <c>false</c>), with a message naming each missing variable and the opt-in.
    /// </summary>
    public static void EnsureAllowed(IHostEnvironment environment, IConfiguration configuration, bool openAIMissing, bool agentsMissing)
    {
        var setting = configuration[AllowKey];
        bool? allowed = string.IsNullOrWhiteSpace(setting)
            ? null
            : bool.TryParse(setting.Trim(), out var parsed)
                ? parsed
                : throw new SimulatorNotAllowedException($"{AllowKey} must be true or false, got '{setting}'.");
        if (allowed ?? environment.IsDevelopment())
        {
            return;
        }

        var missing = new List<string>();
        if (openAIMissing)
        {
            missing.Add("OPENAI_ENDPOINT (or AzureOpenAI__Upstreams__0__Endpoint)");
        }

        if (agentsMissing)
        {
            missing.Add("AZURE_AI_PROJECT_ENDPOINT");
        }

        var why = allowed is false
            ? $"{AllowKey}=false forbids the built-in simulator"
            : $"the environment is '{environment.EnvironmentName}', and outside Development the built-in simulator answers only with {AllowKey}=true";
        throw new SimulatorNotAllowedException(
            $"{string.Join(" and ", missing)} {(missing.Count == 1 ? "is" : "are")} not set, and {why}. " +
            $"Set {string.Join(" and ", missing.Select(m => m.Split(' ')[0]))} to use Azure, or set {AllowKey}=true to serve " +
            "SIMULATED answers on purpose (every response then carries X-Wrapper-Simulated).");
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        if (AgentsSimulated)
        {
            _logger.LogWarning(
                "No AZURE_AI_PROJECT_ENDPOINT configured: agent answers (/bing-grounding, /agents/...) are SIMULATED by the " +
                "built-in simulator at {SimulatorAddress}, not produced by the Azure AI Foundry Agent Service. Set " +
                "AZURE_AI_PROJECT_ENDPOINT and AZURE_AI_AGENT_ID (with an Entra ID identity) to use Azure. Every response " +
                "carries the header X-Wrapper-Simulated.",
                Server.HttpsAddress);
        }

        if (!OpenAISimulated)
        {
            return Task.CompletedTask;
        }

        _logger.LogWarning(
            "No OPENAI_ENDPOINT configured: answers are SIMULATED by the built-in simulator at {SimulatorAddress} " +
            "(deployment {Deployment}), not produced by Azure OpenAI. Set OPENAI_ENDPOINT (and OPENAI_API_KEY or an " +
            "Entra ID identity) to use Azure. Every response carries the header X-Wrapper-Simulated.",
            Server.HttpAddress, Deployment);
        return Task.CompletedTask;
    }

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>The service was about to simulate a missing Azure endpoint where that is not allowed (see
/// <see cref="EmbeddedSimulator.EnsureAllowed"/>): it stops at start instead.</summary>
public sealed class SimulatorNotAllowedException(string message) : InvalidOperationException(message);
