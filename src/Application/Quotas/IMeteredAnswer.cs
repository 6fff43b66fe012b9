namespace Wrapper.Application.Quotas;

/// <summary>A whole answer of a metered request that is not a <see cref="ChatCompletion"/> but reports the model's usage
/// (a relayed OpenAI-format answer): <see cref="QuotaBehaviour{TRequest,TResponse}"/> corrects the reservation with it.</summary>
public interface IMeteredAnswer
{
    /// <summary>The usage the model service reported (<see cref="TokenUsage.None"/> when it reported none).</summary>
    TokenUsage Usage { get; }
}
