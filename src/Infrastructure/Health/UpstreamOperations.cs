using System.Globalization;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.Infrastructure.Health;

/// <summary>
/// The exact Azure OpenAI operations one upstream is called with, each defined by Azure's REST specification for the
/// API version in use (sources in docs/resilience.md):
/// <list type="bullet">
/// <item>chat, streamed or not: <c>POST /openai/deployments/{deployment}/chat/completions?api-version={dated}</c>
/// (inference spec, ChatCompletions_Create) or <c>POST /openai/v1/chat/completions</c> (v1 spec, createChatCompletion);</item>
/// <item>health, no tokens: <c>GET /openai/models?api-version={dated}</c> (authoring spec, Models_List) or
/// <c>GET /openai/v1/models</c> (v1 spec, listModels): proves the endpoint, the credentials, throttling and availability;</item>
/// <item>health, deployment check: the chat operation with <c>max_tokens: 1</c>, at most once per
/// <see cref="HealthProbeOptions.DeploymentCheckMinutes"/> and only when no chat answered in that time — no token-free
/// operation of these specs tells whether a deployment exists.</item>
/// </list>
/// </summary>
public sealed class UpstreamOperations
{
    public UpstreamOperations(AzureOpenAIUpstreamOptions upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        var endpoint = upstream.Endpoint ?? throw new InvalidOperationException("Azure OpenAI options are invalid: an upstream has no endpoint.");
        IsV1 = upstream.IsV1;
        Deployment = upstream.Deployment ?? AzureOpenAIOptions.DefaultDeployment;
        if (IsV1)
        {
            ApiVersion = AzureOpenAIServiceVersions.V1;
            var v1 = upstream.V1BaseAddress;
            BaseAddress = v1;
            ModelsUri = new Uri(v1, "models");
            ChatTemplate = v1.AbsolutePath + "chat/completions";
            ModelsTemplate = v1.AbsolutePath + "models";
            var chat = new Uri(v1, "chat/completions");
            _chatUri = _ => chat;
        }
        else
        {
            ApiVersion = upstream.ApiVersion ?? AzureOpenAIOptions.DefaultApiVersion;
            var root = endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');
            BaseAddress = new Uri(root + "/");
            var query = "?api-version=" + Uri.EscapeDataString(ApiVersion);
            ModelsUri = new Uri(root + "/openai/models" + query);
            var prefix = new Uri(root + "/").AbsolutePath;
            ChatTemplate = prefix + "openai/deployments/{deployment}/chat/completions" + query;
            ModelsTemplate = prefix + "openai/models" + query;
            // Built once per deployment (a handful, from configuration), not on every call.
            var byDeployment = new System.Collections.Concurrent.ConcurrentDictionary<string, Uri>(StringComparer.Ordinal);
            _chatUri = deployment => byDeployment.GetOrAdd(deployment,
                static (d, parts) => new Uri(parts.root + "/openai/deployments/" + Uri.EscapeDataString(d) + "/chat/completions" + parts.query),
                (root, query));
        }
    }

    private readonly Func<string, Uri> _chatUri;

    /// <summary>The chat operation's address for <paramref name="deployment"/>: in the path on dated versions; on v1 the
    /// same address for every deployment (the body's <c>model</c> names it).</summary>
    public Uri ChatUri(string deployment) => _chatUri(deployment);

    /// <summary>True on the v1 API.</summary>
    public bool IsV1 { get; }

    /// <summary><c>v1</c> or the dated version sent.</summary>
    public string ApiVersion { get; }

    /// <summary>The deployment called (in the path on dated versions, as the body's <c>model</c> on v1).</summary>
    public string Deployment { get; }

    /// <summary>The address the SDK client is given: the resource (dated) or <c>{resource}/openai/v1/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The token-free health operation's address.</summary>
    public Uri ModelsUri { get; }

    /// <summary>The chat operation's path template, with its api-version when dated.</summary>
    public string ChatTemplate { get; }

    /// <summary>The token-free health operation's path template, with its api-version when dated.</summary>
    public string ModelsTemplate { get; }

    /// <summary>One line naming every operation, for the start-up log.</summary>
    public string Describe(TimeSpan deploymentCheckInterval) =>
        string.Create(CultureInfo.InvariantCulture,
            $"chat and stream POST {ChatTemplate}; health GET {ModelsTemplate} (no tokens); deployment check POST {ChatTemplate} with max_tokens 1 ")
        + (deploymentCheckInterval > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $"at most every {deploymentCheckInterval.TotalMinutes:0.##} min, skipped while chats succeed")
            : "disabled (Health:DeploymentCheckMinutes = 0)");
}
