using Wrapper.Application.OpenAICompatible;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// The OpenAI-compatible routes (<c>/openai/v1/chat/completions</c>, <c>/openai/deployments/{deployment}/chat/completions</c>,
/// <c>/openai/v1/models</c>). Bound from section <c>OpenAICompatible</c>: <c>OpenAICompatible:Models:&lt;public name&gt; =
/// &lt;deployment&gt;</c> (environment <c>OpenAICompatible__Models__gpt-4o=gpt-4o-prod</c>), the names clients send as
/// <c>model</c> (or as the path's deployment) and the deployment each one calls. Without any entry the one public name is
/// the configured deployment (OPENAI_MODEL_DEPLOYMENT_NAME) under its own name. A public name mapped to the configured
/// deployment calls, on each upstream of the pool, that upstream's own deployment (<c>AzureOpenAI:Upstreams:N:Deployment</c>).
/// </summary>
public sealed class OpenAICompatibleOptions
{
    public const string SectionName = "OpenAICompatible";

    /// <summary>Public model name → deployment (ordinal names).</summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The served models: <see cref="Models"/> in configuration order, or the default deployment under its own name.</summary>
    public IReadOnlyList<ServedModel> Resolve(string defaultDeployment)
    {
        var models = Models
            .Where(m => !string.IsNullOrWhiteSpace(m.Key))
            .Select(m => new ServedModel(m.Key.Trim(), string.IsNullOrWhiteSpace(m.Value) ? defaultDeployment : m.Value.Trim()))
            .ToList();
        return models.Count > 0 ? models : [new ServedModel(defaultDeployment, defaultDeployment)];
    }
}
