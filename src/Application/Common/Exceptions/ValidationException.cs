using FluentValidation.Results;

namespace Wrapper.Application.Common.Exceptions;

/// <summary>A request failed validation. <see cref="Errors"/> groups messages by property (camelCase JSON path).</summary>
public sealed class ValidationException : Exception
{
    public ValidationException(IEnumerable<ValidationFailure> failures)
        : base("One or more validation errors occurred.")
    {
        Errors = failures
            .GroupBy(f => f.PropertyName, f => f.ErrorMessage)
            .ToDictionary(g => g.Key, g => g.Distinct().ToArray());
    }

    public IReadOnlyDictionary<string, string[]> Errors { get; }
}
