using System.Security.Cryptography;
using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure.Agents;
using Wrapper.Simulator;
using Wrapper.Simulator.Agents;
using Wrapper.Simulator.Foundry;

namespace Wrapper.IntegrationTests.Agents;

/// <summary>One simulator per fixture (https on 127.0.0.1:0, a random expected token), and the real agent adapter
/// wired to it the way the Api's EmbeddedSimulator wires it (<see cref="AgentServiceCollectionExtensions.AddAgents"/>,
/// then the endpoint, trusted certificate and agent ids as options, and the token as the credential registered under
/// <see cref="AgentServiceCollectionExtensions.CredentialKey"/>), with fast polling.</summary>
public abstract class AgentSimulatorHost
{
    protected string Token { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    protected SimulatorServer Server { get; private set; } = null!;

    protected AgentStore Store => Server.Services.GetRequiredService<AgentStore>();

    /// <summary>The state of the simulated new Agent Service (named agents, conversations, responses).</summary>
    protected FoundryStore Foundry => Server.Services.GetRequiredService<FoundryStore>();

    protected Uri ProjectEndpoint => new(Server.HttpsAddress, "api/projects/test-project");

    private readonly List<ServiceProvider> _providers = [];

    [OneTimeSetUp]
    public async Task StartSimulatorAsync()
    {
        Server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            AgentBearerToken = Token,
            Agents = new AgentSimulatorOptions { RunStepDelayMs = 10, SlowRunMs = 120_000 },
        });
    }

    [OneTimeTearDown]
    public async Task StopSimulatorAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    [SetUp]
    public void ResetSimulator()
    {
        Server.Faults.Clear();
        Store.Reset();
        Foundry.Reset();
    }

    [TearDown]
    public async Task DisposeProvidersAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        _providers.Clear();
    }

    /// <summary>The adapter's services against this simulator. <paramref name="tune"/> runs after the defaults of
    /// the tests (5 ms first poll, no silent retries). <paramref name="time"/> replaces the system clock of the run
    /// deadline and the polling (e.g. a <c>FakeTimeProvider</c> that a test advances).</summary>
    protected IServiceProvider Agents(Action<AgentServiceOptions>? tune = null, string? token = null,
        System.Security.Cryptography.X509Certificates.X509Certificate2? trust = null, IReadOnlyDictionary<string, string>? agentIds = null,
        TimeProvider? time = null, IReadOnlyDictionary<string, AgentDefinition>? definitions = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddAgents(new ConfigurationBuilder().Build());
        services.AddKeyedSingleton<TokenCredential>(AgentServiceCollectionExtensions.CredentialKey, new FixedTokenCredential(token ?? Token));
        services.PostConfigure<AgentServiceOptions>(o =>
        {
            o.Endpoint = ProjectEndpoint;
            o.TrustedCertificate = trust ?? Server.Certificate;
            if (definitions is not null)
            {
                foreach (var (name, definition) in definitions)
                {
                    o.Agents[name] = definition;
                }

                return;
            }

            foreach (var (name, id) in agentIds ?? DefaultAgentIds)
            {
                o.Agents[name] = new AgentDefinition { AgentId = id };
            }
        });
        services.PostConfigure<AgentServiceOptions>(o =>
        {
            o.FirstPollDelayMs = 5;
            o.MaxPollDelayMs = 20;
            o.MaxRetries = 0;
            o.RetryBaseDelayMs = 1;
            o.MaxRetryDelaySeconds = 0.05;
            tune?.Invoke(o);
        });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _providers.Add(provider);
        return provider;
    }

    /// <summary>The simulator's default agents (<see cref="SimulatedAgent.Defaults"/>).</summary>
    private static readonly Dictionary<string, string> DefaultAgentIds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["bing-grounding"] = "asst_bing",
        ["plain"] = "asst_plain",
    };

    /// <summary>Presents one bearer token: the one the simulator expects.</summary>
    private sealed class FixedTokenCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    protected IAgentGateway Gateway(Action<AgentServiceOptions>? tune = null, TimeProvider? time = null) =>
        Agents(tune, time: time).GetRequiredService<IAgentGateway>();

    /// <summary>The simulator's named agents on the new protocol (<see cref="SimulatedNamedAgent.Defaults"/>), configured by
    /// name alone: <c>bing-grounding</c> and <c>plain</c>.</summary>
    protected static IReadOnlyDictionary<string, AgentDefinition> NewAgents { get; } = new Dictionary<string, AgentDefinition>(StringComparer.OrdinalIgnoreCase)
    {
        ["bing-grounding"] = new() { AgentName = "bing-grounding" },
        ["plain"] = new() { AgentName = "plain" },
    };

    /// <summary>The gateway with every agent on the new protocol (<see cref="NewAgents"/>).</summary>
    protected IAgentGateway NewGateway(Action<AgentServiceOptions>? tune = null, TimeProvider? time = null) =>
        Agents(tune, time: time, definitions: NewAgents).GetRequiredService<IAgentGateway>();

    /// <summary>Every conversation the simulator saw was deleted.</summary>
    protected void AssertEveryConversationDeleted(int expectedConversations)
    {
        var counters = Foundry.GetCounters();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(counters.ConversationsCreated, Is.EqualTo(expectedConversations), "conversations created");
            Assert.That(counters.ConversationsDeleted, Is.EqualTo(expectedConversations), "conversations deleted");
            Assert.That(counters.ConversationsActive, Is.Zero, "conversations left");
        }
    }

    /// <summary>Every thread the simulator saw was deleted.</summary>
    protected void AssertEveryThreadDeleted(int expectedThreads = 1)
    {
        var counters = Store.GetCounters();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(counters.ThreadsCreated, Is.EqualTo(expectedThreads), "threads created");
            Assert.That(counters.ThreadsDeleted, Is.EqualTo(expectedThreads), "threads deleted");
            Assert.That(counters.ThreadsActive, Is.Zero, "threads left");
        }
    }

    protected static void AssertStartupValid(IServiceProvider provider) =>
        Assert.DoesNotThrow(() => _ = provider.GetRequiredService<IOptions<AgentServiceOptions>>().Value);
}
