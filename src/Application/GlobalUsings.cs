global using MediatR;
global using FluentValidation;
global using Wrapper.Domain.Chat;
global using Wrapper.Application.Common.Interfaces;
