using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Azure.AI.OpenAI;
using Azure.Core;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;
using Wrapper.Infrastructure.Health;
using Wrapper.Infrastructure.Resilience;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>Builds the chat client of each upstream from validated options: on a dated API version Azure.AI.OpenAI's
/// <see cref="AzureOpenAIClient"/> (<c>{endpoint}/openai/deployments/{deployment}/...?api-version=</c>); on the v1 API
/// the <c>OpenAI</c> package's <see cref="ChatClient"/> with <c>{resource}/openai/v1/</c> as its endpoint, as Microsoft
/// Learn shows for .NET. Key authentication (<c>api-key</c> header) when a key is configured, Entra ID (the given
/// credential, scope <c>https://cognitiveservices.azure.com/.default</c>) otherwise; the bounded retry policy; a per-try
/// network timeout equal to the whole call's budget. <see cref="CreatePool"/> puts them in an
/// <see cref="UpstreamPool{TClient}"/> and logs, per upstream, the exact operations it will call.</summary>
public static class AzureOpenAIClientFactory
{
    /// <summary>Name of the <see cref="System.Net.Http.IHttpClientFactory"/> client the SDK sends through.</summary>
    public const string HttpClientName = "AzureOpenAI";

    /// <summary>The Entra ID scope of Azure OpenAI.</summary>
    public const string EntraIdScope = "https://cognitiveservices.azure.com/.default";

    /// <summary>The chat client of one upstream of the pool: its endpoint, key (or Entra ID) and API version, with the
    /// pool-wide timeouts and <paramref name="maxRetries"/> silent retries.</summary>
    public static ChatClient CreateChatClient(AzureOpenAIUpstreamOptions upstream, AzureOpenAIOptions options, int maxRetries, HttpClient httpClient,
        Func<TokenCredential> credential, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(loggerFactory);

        if (upstream.Endpoint is null || !AzureOpenAIServiceVersions.IsSupported(upstream.ApiVersion))
        {
            // Validation at start reports these with clear messages; reaching here means validation was bypassed.
            throw new InvalidOperationException("Azure OpenAI options are invalid: set OPENAI_ENDPOINT and a supported OPENAI_API_VERSION.");
        }

        var deployment = upstream.Deployment ?? options.Deployment;
        // One try may not outlast the request, nor a streamed answer's silence between two parts.
        var networkTimeout = options.StreamIdleTimeout is { } idle && idle > options.RequestTimeout ? idle : options.RequestTimeout;
        var retryPolicy = new BoundedRetryPolicy(maxRetries, options.RequestTimeout, options.MaxRetryDelay, options.RetryBaseDelay,
            time, loggerFactory.CreateLogger<BoundedRetryPolicy>());
        var transport = new HttpClientPipelineTransport(httpClient);
        var useKey = !string.IsNullOrWhiteSpace(upstream.ApiKey);

        if (upstream.IsV1)
        {
            var v1Options = new OpenAIClientOptions
            {
                Endpoint = upstream.V1BaseAddress,
                RetryPolicy = retryPolicy,
                NetworkTimeout = networkTimeout,
                Transport = transport,
                ClientLoggingOptions = NoPipelineLogging(),
            };
            AuthenticationPolicy authentication = useKey
                ? ApiKeyAuthenticationPolicy.CreateHeaderApiKeyPolicy(new ApiKeyCredential(upstream.ApiKey!), "api-key")
                : new BearerTokenPolicy(credential(), EntraIdScope);
            // The constructor taking an AuthenticationPolicy is what Microsoft Learn's v1 samples use for Entra ID; it is
            // marked for evaluation (OPENAI001). With it the key travels in Azure's api-key header, as on dated versions.
#pragma warning disable OPENAI001
            return new ChatClient(deployment, authentication, v1Options);
#pragma warning restore OPENAI001
        }

        AzureOpenAIServiceVersions.TryParse(upstream.ApiVersion, out var version);
        var clientOptions = new AzureOpenAIClientOptions(version)
        {
            RetryPolicy = retryPolicy,
            NetworkTimeout = networkTimeout,
            Transport = transport,
            ClientLoggingOptions = NoPipelineLogging(),
        };
        var client = useKey
            ? new AzureOpenAIClient(upstream.Endpoint, new ApiKeyCredential(upstream.ApiKey!), clientOptions)
            : new AzureOpenAIClient(upstream.Endpoint, credential(), clientOptions);
        return client.GetChatClient(deployment);
    }

    /// <summary>No logging policy in the client pipeline: it would log to System.ClientModel's event source only (no
    /// logger factory is given to it), while the upstream calls are already traced (HttpClient instrumentation) and
    /// their failures logged by the service with what they mean (<see cref="UpstreamTryFailure"/>). Measured with bench/:
    /// the policy was a state machine and header walk on every call for nothing anyone reads.</summary>
    private static ClientLoggingOptions NoPipelineLogging() => new() { EnableLogging = false, EnableMessageLogging = false };

    /// <summary>The pool of every configured upstream: one client, one circuit breaker and one deployment check each.
    /// Logs one line per upstream naming the exact operations it will call (method, path template, api-version), so
    /// that an operator can check them against Azure's REST reference at a glance.</summary>
    public static UpstreamPool<ChatClient> CreatePool(AzureOpenAIOptions options, HttpClient httpClient, Func<TokenCredential> credential,
        TimeProvider time, ILoggerFactory loggerFactory, TimeSpan? deploymentCheckInterval = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var upstreams = options.ResolveUpstreams();
        if (upstreams.Count == 0)
        {
            throw new InvalidOperationException("Azure OpenAI options are invalid: set OPENAI_ENDPOINT or AzureOpenAI:Upstreams.");
        }

        var checkInterval = deploymentCheckInterval ?? TimeSpan.FromMinutes(HealthProbeOptions.DefaultDeploymentCheckMinutes);
        var breakers = options.CircuitBreaker.IsEnabledFor(upstreams.Count);
        var retries = options.RetriesPerUpstream(upstreams.Count);
        var circuitLogger = loggerFactory.CreateLogger<UpstreamCircuit>();
        var logger = loggerFactory.CreateLogger(typeof(AzureOpenAIClientFactory));
        var members = upstreams.Select(u =>
        {
            var name = u.Name ?? u.Endpoint!.Authority;
            var client = CreateChatClient(u, options, retries, httpClient, credential, time, loggerFactory);
            var operations = new UpstreamOperations(u);
            logger.LogInformation(
                "Azure OpenAI upstream {Upstream} at {Endpoint}, deployment {Deployment}, API {ApiVersion}, priority {Priority}, weight {Weight}, {Authentication}: {Operations}",
                name, operations.BaseAddress, operations.Deployment, operations.ApiVersion, u.Priority, u.Weight,
                string.IsNullOrWhiteSpace(u.ApiKey) ? "Entra ID (DefaultAzureCredential)" : "key authentication (api-key header)",
                operations.Describe(checkInterval));
            return new PooledUpstream<ChatClient>(name, operations.Deployment, u.Priority, u.Weight, client,
                new UpstreamCircuit(name, breakers, options.CircuitBreaker, time, circuitLogger), operations, new DeploymentCheck(time));
        }).ToList();

        var budget = new UpstreamPoolBudget(options.RequestTimeout, options.AttemptTimeout, options.MaxUpstreamAttempts ?? members.Count);
        return new UpstreamPool<ChatClient>(members, budget, time, loggerFactory.CreateLogger<UpstreamPool<ChatClient>>());
    }

    /// <summary>The primary handler of the SDK's HttpClient: no redirects (an answer moved elsewhere is not ours to
    /// follow with our credentials), pooled connections renewed for DNS changes, and, when the options carry a
    /// <see cref="AzureOpenAIOptions.TrustedCertificate"/>, that one certificate accepted as the server's in addition
    /// to the system's trust (chain errors only; a name mismatch still fails).</summary>
    public static SocketsHttpHandler CreateHandler(AzureOpenAIOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            // No cookie jar: this one handler serves every client of the service, so a cookie an upstream set would be
            // sent back on behalf of all of them (and the jar was consulted on every call).
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };

        if (options.TrustedCertificate is { } trusted)
        {
            var pinned = trusted.RawData;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null
                    && certificate.GetRawCertData().AsSpan().SequenceEqual(pinned));
        }

        return handler;
    }
}
